const t0 = process.hrtime.bigint();
for (const m of process.argv.slice(2)) require(m);
const t1 = process.hrtime.bigint();
console.log(process.argv.slice(2).join(','), Number(t1 - t0) / 1e6, 'ms', Object.keys(require.cache).length, 'modules');
