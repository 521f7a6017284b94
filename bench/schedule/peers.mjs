// The JavaScript peers on the cases of cases.tsv, one library per process:
//   node peers.mjs cron-parser|croner cases.tsv
// Prints one JSON line per case, like next_fire.cpp: nanoseconds per "next fire time after
// this instant" call, the answers for each start, and five chained fire times.
import { readFileSync } from 'node:fs';
import { CronExpressionParser } from 'cron-parser';
import { Cron } from 'croner';

// Each peer gets its fastest correct setup: for UTC cases that is no time zone at all for
// cron-parser (run.sh runs node with TZ=UTC) and a fixed offset of 0 for croner; both are
// several times faster than naming "UTC".
process.env.TZ = 'UTC';

const STARTS = 1000;
const [library, casesFile] = process.argv.slice(2);

// next(date) -> epoch milliseconds of the next fire time strictly after `date`, or null.
const libraries = {
  'cron-parser': (expression, tz, first) => {
    const options = tz === 'UTC' ? { currentDate: first } : { currentDate: first, tz };
    const iterator = CronExpressionParser.parse(expression, options);
    return (date) => {
      iterator.reset(date);
      return iterator.next().getTime();
    };
  },
  croner: (expression, tz) => {
    const options = tz === 'UTC' ? { utcOffset: 0, paused: true } : { timezone: tz, paused: true };
    const job = new Cron(expression, options);
    return (date) => job.nextRun(date)?.getTime() ?? null;
  },
};

const make = libraries[library];
if (!make) {
  console.error(`usage: node peers.mjs ${Object.keys(libraries).join('|')} cases.tsv`);
  process.exit(2);
}

const seconds = (ms) => (ms === null ? null : Math.floor(ms / 1000));

for (const line of readFileSync(casesFile, 'utf8').split('\n')) {
  if (line === '' || line.startsWith('#')) continue;
  const [name, expression, tz, firstText, strideText] = line.split('\t');
  const first = new Date(firstText);
  const stride = Number(strideText) * 1000;
  const starts = Array.from({ length: STARTS }, (_, i) => new Date(first.getTime() + i * stride));
  let next;
  try {
    next = make(expression, tz, first);
    next(first);
  } catch (e) {
    console.log(JSON.stringify({ case: name, library, ns: null, error: String(e.message ?? e) }));
    continue;
  }

  const answers = starts.map((start) => seconds(next(start)));
  const sequence = [];
  let at = first;
  for (let i = 0; i < 5; i++) {
    const ms = next(at);
    if (ms === null) break;
    sequence.push(seconds(ms));
    at = new Date(ms);
  }

  // Warm the JIT, then best of five rounds of at least 0.2 s each, as the C++ side does.
  let sink = 0;
  for (let r = 0; r < 3; r++) for (const start of starts) sink += next(start) ?? 0;
  let best = Infinity;
  let calls = 0;
  for (let round = 0; round < 5; round++) {
    let roundCalls = 0;
    const begin = process.hrtime.bigint();
    let elapsed = 0n;
    do {
      for (const start of starts) sink += next(start) ?? 0;
      roundCalls += starts.length;
      elapsed = process.hrtime.bigint() - begin;
    } while (elapsed < 200_000_000n);
    best = Math.min(best, Number(elapsed) / roundCalls);
    calls += roundCalls;
  }
  console.log(JSON.stringify({ case: name, library, ns: best, calls, sink: sink % 1000, answers, sequence }));
}
