// Line and bar charts as standalone SVG, written by hand. Why no library: the npm chart libraries
// either draw on a canvas/DOM (a browser or a native canvas build on this machine) or bring a large
// dependency tree for four charts; this file is small, has no dependencies, and writes the same
// bytes for the same numbers, so a chart in git changes only when a prediction does.

const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

export function lineChart({ title, subtitle, xLabel, yLabel, series, xLog = false, yLog = false, width = 760, height = 420, xTickFormat, yTickFormat }) {
  const frame = layout(width, height, series.length);
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((y) => !yLog || y > 0);
  const x = axisScale(xs, xLog, frame.left, frame.right, { zero: !xLog });
  const y = axisScale(ys, yLog, frame.bottom, frame.top, { zero: !yLog });
  const parts = [header(width, height, title, subtitle), grid(frame, x, y, xTickFormat, yTickFormat), axisLabels(frame, xLabel, yLabel)];
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const points = s.points.filter((p) => (!xLog || p[0] > 0) && (!yLog || p[1] > 0));
    if (points.length === 0) return;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (!s.markersOnly) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${points.map((p) => `${fix(x.at(p[0]))},${fix(y.at(p[1]))}`).join(' ')}"/>`);
    if (s.markers || s.markersOnly) for (const p of points) parts.push(`<circle cx="${fix(x.at(p[0]))}" cy="${fix(y.at(p[1]))}" r="4" fill="${s.hollow ? 'white' : color}" stroke="${color}" stroke-width="2"/>`);
  });
  parts.push(legend(frame, series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length], dashed: s.dashed, marker: s.markers || s.markersOnly, hollow: s.hollow }))));
  return `${parts.join('\n')}\n</svg>\n`;
}

/** Grouped vertical bars: one group per category, one bar per series. */
export function barChart({ title, subtitle, yLabel, categories, series, yLog = false, width = 820, height = 440, yTickFormat }) {
  const frame = layout(width, height, series.length, 30);
  const ys = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && (!yLog || v > 0));
  const y = axisScale(ys, yLog, frame.bottom, frame.top, { zero: !yLog });
  const band = (frame.right - frame.left) / categories.length;
  const barWidth = Math.min(28, (band * 0.8) / series.length);
  const parts = [header(width, height, title, subtitle), yGrid(frame, y, yTickFormat), axisLabels(frame, undefined, yLabel)];
  categories.forEach((category, c) => {
    const center = frame.left + band * (c + 0.5);
    const label = wrap(category, 16);
    label.forEach((line, l) => parts.push(`<text x="${fix(center)}" y="${fix(frame.bottom + 16 + l * 13)}" text-anchor="middle" font-size="11" ${FONT}>${escape(line)}</text>`));
    series.forEach((s, i) => {
      const value = s.values[c];
      if (!Number.isFinite(value) || (yLog && value <= 0)) return;
      const left = center - (barWidth * series.length) / 2 + i * barWidth;
      const top = y.at(value);
      const base = yLog ? frame.bottom : y.at(0);
      parts.push(`<rect x="${fix(left)}" y="${fix(Math.min(top, base))}" width="${fix(barWidth - 2)}" height="${fix(Math.abs(base - top))}" fill="${PALETTE[i % PALETTE.length]}"/>`);
    });
  });
  parts.push(`<line x1="${frame.left}" y1="${frame.bottom}" x2="${frame.right}" y2="${frame.bottom}" stroke="#333"/>`);
  parts.push(legend(frame, series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length], bar: true }))));
  return `${parts.join('\n')}\n</svg>\n`;
}

function layout(width, height, seriesCount, extraBottom = 0) {
  const legendRows = Math.ceil(seriesCount / 3);
  return { left: 72, right: width - 24, top: 64, bottom: height - 58 - extraBottom - legendRows * 18, width, height, legendTop: height - 8 - legendRows * 18 };
}

function header(width, height, title, subtitle) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escape(title)}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="16" y="26" font-size="16" font-weight="bold" ${FONT}>${escape(title)}</text>`,
    subtitle ? `<text x="16" y="46" font-size="12" fill="#555" ${FONT}>${escape(subtitle)}</text>` : '',
  ].join('\n');
}

/** A linear scale (with 1-2-5 ticks) or a log scale (decade ticks, with 2 and 5 when it spans few decades). */
function axisScale(values, log, from, to, { zero }) {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  if (log) {
    const a = Math.floor(Math.log10(lo));
    const b = Math.max(a + 1, Math.ceil(Math.log10(hi)));
    const ticks = [];
    const steps = b - a <= 3 ? [1, 2, 5] : [1];
    for (let e = a; e <= b; e++) for (const m of steps) if (m * 10 ** e <= 10 ** b) ticks.push(m * 10 ** e);
    const at = (v) => from + ((Math.log10(v) - a) / (b - a)) * (to - from);
    return { at, ticks };
  }
  if (zero) lo = Math.min(0, lo);
  if (hi === lo) hi = lo + 1;
  const step = niceStep((hi - lo) / 5);
  const start = Math.floor(lo / step) * step;
  const end = Math.ceil(hi / step) * step;
  const ticks = [];
  for (let v = start; v <= end + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { at: (v) => from + ((v - start) / (end - start)) * (to - from), ticks };
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

function grid(frame, x, y, xFormat = tick, yFormat = tick) {
  const lines = [yGrid(frame, y, yFormat)];
  for (const t of x.ticks) {
    const px = fix(x.at(t));
    lines.push(`<line x1="${px}" y1="${frame.top}" x2="${px}" y2="${frame.bottom}" stroke="#eee"/>`);
    lines.push(`<text x="${px}" y="${frame.bottom + 16}" text-anchor="middle" font-size="11" ${FONT}>${escape(xFormat(t))}</text>`);
  }
  lines.push(`<line x1="${frame.left}" y1="${frame.bottom}" x2="${frame.right}" y2="${frame.bottom}" stroke="#333"/>`);
  return lines.join('\n');
}

function yGrid(frame, y, format = tick) {
  const lines = [`<line x1="${frame.left}" y1="${frame.top}" x2="${frame.left}" y2="${frame.bottom}" stroke="#333"/>`];
  for (const t of y.ticks) {
    const py = fix(y.at(t));
    lines.push(`<line x1="${frame.left}" y1="${py}" x2="${frame.right}" y2="${py}" stroke="#eee"/>`);
    lines.push(`<text x="${frame.left - 6}" y="${py}" dy="4" text-anchor="end" font-size="11" ${FONT}>${escape(format(t))}</text>`);
  }
  return lines.join('\n');
}

function axisLabels(frame, xLabel, yLabel) {
  const parts = [];
  if (xLabel) parts.push(`<text x="${fix((frame.left + frame.right) / 2)}" y="${frame.bottom + 36}" text-anchor="middle" font-size="12" ${FONT}>${escape(xLabel)}</text>`);
  if (yLabel) parts.push(`<text transform="translate(18 ${fix((frame.top + frame.bottom) / 2)}) rotate(-90)" text-anchor="middle" font-size="12" ${FONT}>${escape(yLabel)}</text>`);
  return parts.join('\n');
}

function legend(frame, entries) {
  const columnWidth = (frame.right - frame.left) / 3;
  return entries.map((e, i) => {
    const left = frame.left + (i % 3) * columnWidth;
    const top = frame.legendTop + Math.floor(i / 3) * 18;
    const swatch = e.bar
      ? `<rect x="${fix(left)}" y="${top - 9}" width="14" height="10" fill="${e.color}"/>`
      : `<line x1="${fix(left)}" y1="${top - 4}" x2="${fix(left + 18)}" y2="${top - 4}" stroke="${e.color}" stroke-width="2"${e.dashed ? ' stroke-dasharray="6 4"' : ''}/>${e.marker ? `<circle cx="${fix(left + 9)}" cy="${top - 4}" r="4" fill="${e.hollow ? 'white' : e.color}" stroke="${e.color}" stroke-width="2"/>` : ''}`;
    return `${swatch}<text x="${fix(left + 24)}" y="${top}" font-size="11" ${FONT}>${escape(e.name)}</text>`;
  }).join('\n');
}

function wrap(text, width) {
  const lines = [''];
  for (const word of text.split(' ')) {
    if (lines.at(-1).length + word.length + 1 > width && lines.at(-1).length > 0) lines.push(word);
    else lines[lines.length - 1] = lines.at(-1) ? `${lines.at(-1)} ${word}` : word;
  }
  return lines.slice(0, 3);
}

function tick(v) {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

function fix(n) {
  return Number(n.toFixed(1));
}

function escape(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
