// Lines up the results of next_fire.cpp and peers.mjs: a table of nanoseconds per call and
// peer/ours ratios, then every case where a peer's fire times differ from ours.
//   node compare.mjs cases.tsv ours.jsonl peer1.jsonl [peer2.jsonl ...]
import { readFileSync } from 'node:fs';

const [casesFile, oursFile, ...peerFiles] = process.argv.slice(2);
const read = (file) =>
  Object.fromEntries(
    readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((r) => [r.case, r]));
const cases = readFileSync(casesFile, 'utf8').split('\n')
  .filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split('\t'));
const ours = read(oursFile);
const peers = peerFiles.map(read);
const peerNames = peers.map((p) => Object.values(p)[0].library);

const local = (s, tz) => {
  if (s === null || s === undefined) return 'none';
  const d = new Date(s * 1000);
  const wall = d.toLocaleString('sv-SE', { timeZone: tz, hour12: false });
  return `${wall} ${tz} (${d.toISOString().replace('.000', '')})`;
};
const fmt = (ns) => (ns === null || ns === undefined ? 'n/a' : ns >= 1000 ? `${(ns / 1000).toFixed(2)} us` : `${ns.toFixed(1)} ns`);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

const header = ['case', 'expression', 'zone', 'task', ...peerNames, ...peerNames.map((n) => `${n}/task`)];
const rows = cases.map(([name, expression, tz]) => [
  name, expression, tz, fmt(ours[name].ns),
  ...peers.map((p) => fmt(p[name].ns)),
  ...peers.map((p) => (p[name].ns == null ? 'n/a' : `${(p[name].ns / ours[name].ns).toFixed(0)}x`)),
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const printRow = (r) =>
  console.log(`| ${r.map((c, i) => (i < 3 ? pad(c, widths[i]) : lpad(c, widths[i]))).join(' | ')} |`);
printRow(header);
console.log(`|${widths.map((w, i) => (i < 3 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
rows.forEach(printRow);

console.log('\nAgreement with task (next fire time after each of the 1000 starts; 5 chained):');
for (const [name, , tz] of cases) {
  for (const [i, peer] of peers.entries()) {
    const a = ours[name].answers;
    const b = peer[name].answers;
    if (peer[name].error !== undefined) {
      console.log(`  ${pad(name, 24)} ${pad(peerNames[i], 12)} cannot parse it: ${peer[name].error}`);
      continue;
    }
    const differing = a.map((v, k) => k).filter((k) => a[k] !== b[k]);
    const chainSame = JSON.stringify(ours[name].sequence) === JSON.stringify(peer[name].sequence);
    console.log(`  ${pad(name, 24)} ${pad(peerNames[i], 12)} ${lpad(1000 - differing.length, 4)}/1000 agree, ` +
      `first 5 chained ${chainSame ? 'agree' : 'DIFFER'}`);
    const starts = cases.find((c) => c[0] === name);
    const first = Date.parse(starts[3]) / 1000;
    const stride = Number(starts[4]);
    for (const k of differing.slice(0, 3)) {
      console.log(`      after ${local(first + k * stride, tz)}\n` +
        `        task:        ${local(a[k], tz)}\n        ${pad(peerNames[i] + ':', 13)}${local(b[k], tz)}`);
    }
    if (differing.length > 3) console.log(`      ... and ${differing.length - 3} more`);
  }
}
