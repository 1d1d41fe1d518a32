import { spawnSync } from 'node:child_process';
const variants = { bare: ['-e', '0'], current: ['-e', "require('/work/main/.bench/exp/current/index.js')"], sdkEsm: ['-e', "require('/work/main/.bench/exp/sdkMinEsm/index.js')"], dflt: ['-e', "require('/work/main/.bench/exp/defaultBundle/index.js')"], sdkOnly: ['-e', "require('@aws-sdk/client-dynamodb');require('@aws-sdk/client-sqs');require('@aws-sdk/client-secrets-manager')"] };
const res = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < 15; i++) for (const [k, a] of Object.entries(variants)) { const t = process.hrtime.bigint(); const r = spawnSync(process.execPath, a, { stdio: 'ignore' }); res[k].push(Number(process.hrtime.bigint() - t) / 1e6); if (r.status) throw new Error(k); }
const med = (x) => { const s = [...x].sort((a, b) => a - b); return s[s.length >> 1]; };
for (const [k, v] of Object.entries(res)) console.log(k, med(v).toFixed(1), (med(v) / med(res.bare)).toFixed(2));
