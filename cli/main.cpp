#include "app.hpp"

int main(int argc, char** argv, char** envp) { return cli::run_app(argc, argv, envp); }
