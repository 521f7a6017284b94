'use strict';
// Unit tests for index.js: npm test (or node --test).
const test = require('node:test');
const assert = require('node:assert');
const { main, TASK_NAME } = require('./index.js');

test('main succeeds and logs', async () => {
  const lines = [];
  assert.strictEqual(await main({}, (line) => lines.push(line)), 0);
  assert.match(lines.join('\n'), new RegExp(`INFO ${TASK_NAME}: ${TASK_NAME} ran`));
});

test('an unknown LOG_LEVEL falls back to info', async () => {
  const lines = [];
  assert.strictEqual(await main({ LOG_LEVEL: 'chatty' }, (line) => lines.push(line)), 0);
  assert.match(lines[0], /unknown LOG_LEVEL "chatty"/);
  assert.strictEqual(lines.length, 2);
});
