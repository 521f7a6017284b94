"""Unit tests for main.py: python3 -m unittest test_main.py"""

import contextlib
import io
import unittest

import main


class MainTest(unittest.TestCase):
    def run_main(self, environ):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main.main(environ)
        return status, out.getvalue()

    def test_succeeds_and_logs(self):
        status, output = self.run_main({})
        self.assertEqual(status, 0)
        self.assertIn(f"INFO {main.TASK_NAME}: {main.TASK_NAME} ran", output)

    def test_unknown_log_level_falls_back_to_info(self):
        status, output = self.run_main({"LOG_LEVEL": "chatty"})
        self.assertEqual(status, 0)
        self.assertIn("unknown LOG_LEVEL 'CHATTY'", output)


if __name__ == "__main__":
    unittest.main()
