import { readFileSync } from 'node:fs';
import { createBenchEnv } from './env.ts';
const env = await createBenchEnv(console.error);
const pid = env.server.process.pid!;
const serverCpu = () => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
try {
  await (await env.startBare(50, 'x')).result();
  const s0 = serverCpu(); const n0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < 4; i++) await (await env.startBare(50, 'x')).result();
  const wall = performance.now() - t0; const n1 = process.cpuUsage(n0);
  console.log('wall', wall.toFixed(0), 'server cpu ms', serverCpu() - s0, 'node cpu ms', ((n1.user + n1.system) / 1000).toFixed(0));
  const s2 = serverCpu(); await new Promise((r) => setTimeout(r, 3000)); console.log('server idle cpu ms over 3s', serverCpu() - s2);
} finally { await env.close(); }
