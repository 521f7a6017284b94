'use strict';
// {{name}}: a scheduled task. Put the work in main(); its result is the run's exit
// status (0 succeeded, anything else failed). Logs go to stdout, one line each.
//
// Environment:
//   LOG_LEVEL  debug, info, warn or error (default info)

const TASK_NAME = '{{name}}';
const LEVELS = ['debug', 'info', 'warn', 'error'];

function makeLogger(env, write = (line) => process.stdout.write(line + '\n')) {
  let threshold = LEVELS.indexOf((env.LOG_LEVEL || 'info').trim().toLowerCase());
  const unknown = threshold < 0;
  if (unknown) threshold = LEVELS.indexOf('info');
  const log = (level, message) => {
    if (LEVELS.indexOf(level) >= threshold) {
      write(`${new Date().toISOString()} ${level.toUpperCase()} ${TASK_NAME}: ${message}`);
    }
  };
  if (unknown) log('warn', `unknown LOG_LEVEL ${JSON.stringify(env.LOG_LEVEL)}, using info`);
  return log;
}

async function main(env = process.env, write = undefined) {
  const log = makeLogger(env, write);
  log('info', `${TASK_NAME} ran`);
  // ... the task's work goes here; return non-zero to mark the run as failed.
  return 0;
}

module.exports = { main, TASK_NAME };

if (require.main === module) {
  main().then(
    (status) => { process.exitCode = status; },
    (error) => {
      process.stderr.write(`${new Date().toISOString()} ERROR ${TASK_NAME}: ${error && error.stack || error}\n`);
      process.exitCode = 1;
    },
  );
}
