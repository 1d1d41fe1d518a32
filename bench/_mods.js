const fs=require('fs');
require(process.argv[2]);
let tot=0;const rows=[];
for (const k of Object.keys(require.cache)) { const s=fs.statSync(k).size; tot+=s; rows.push([s,k]); }
rows.sort((a,b)=>b[0]-a[0]); for (const r of rows.slice(0,40)) console.log(r[0], r[1].replace(/.*node_modules\//,''));
console.log('total', tot);
