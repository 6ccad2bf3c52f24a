import * as echarts from 'echarts';
const opt = (n: number) => ({ animation: false, legend: {bottom:0}, xAxis: { type: 'category', data: Array.from({length:12},(_, i)=>`w${i}`) }, yAxis: { type: 'value' }, series: Array.from({length:n},(_, s)=>({ name:`s${s}`, type:'bar', stack:'t', data: Array.from({length:12},(_, i)=>i+s) })) });
for (const n of [2, 20]) {
  let t0 = performance.now();
  for (let i = 0; i < 10; i++) { const c = echarts.init(null, null, {renderer:'svg', ssr:true, width:760, height:320}); c.setOption(opt(n)); c.renderToSVGString(); c.dispose(); }
  console.log('fresh', n, ((performance.now()-t0)/10).toFixed(1));
  const c = echarts.init(null, null, {renderer:'svg', ssr:true, width:760, height:320});
  t0 = performance.now();
  for (let i = 0; i < 10; i++) { c.setOption(opt(n), {notMerge:true}); c.renderToSVGString(); }
  console.log('reuse', n, ((performance.now()-t0)/10).toFixed(1));
  t0 = performance.now();
  for (let i = 0; i < 10; i++) { const c = echarts.init(null, null, {renderer:'svg', ssr:true, width:760, height:320}); c.setOption({...opt(n), legend: undefined}); c.renderToSVGString(); c.dispose(); }
  console.log('nolegend', n, ((performance.now()-t0)/10).toFixed(1));
}
