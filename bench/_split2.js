const Module = require('module');
const orig = Module._load;
const h = () => Number(process.hrtime.bigint()) / 1e6;
const self = new Map(); const stack = [];
Module._load = function (req, parent, isMain) {
  const t0 = h(); stack.push(0);
  try { return orig.apply(this, arguments); } finally {
    const dt = h() - t0; const child = stack.pop();
    if (stack.length) stack[stack.length - 1] += dt;
    let k; try { k = Module._resolveFilename(req, parent).replace(/.*node_modules\//, ''); } catch { k = req; }
    self.set(k, (self.get(k) || 0) + dt - child);
  }
};
const t = h();
require(process.argv[2]);
const tot = h() - t;
console.log('total', tot.toFixed(1));
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(v.toFixed(1), k);
