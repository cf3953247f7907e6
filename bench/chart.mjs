// The benchmark's table as a picture (bench/results.svg): each row's ratio on a log scale, with
// its target where it has one. Green: target met; red: missed (with how far off); grey: no target
// (the distance to a bare channel, sizes). Rows whose target is a fixed limit (seconds, bytes,
// characters) get a second panel: Tin Can's figure divided by the limit.

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The figure's name without its "(median of …)" and Markdown. */
function label(figure) {
  const plain = figure
    .replace(/\s*\((median|[0-9,]+ (pings|messages))[^)]*\)/g, '')
    .replace(/`/g, '')
    .trim();
  return plain.length > 68 ? `${plain.slice(0, 67)}…` : plain;
}

const fmt = (x) => (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

export function chart(rows, title) {
  const W = 1080;
  const labelW = 420;
  const plotX = labelW + 10;
  const plotW = 300;
  const rowH = 20;
  const min = 0.01;
  const max = 100;
  const x = (v) => plotX + ((Math.log10(Math.min(max, Math.max(min, v))) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * plotW;

  const ratioRows = rows.filter((r) => r.ratioValue !== null && r.ratioValue > 0);
  const limitRows = rows.filter((r) => r.goal && r.goal.on === 'value' && Number.isFinite(r.goal.value));
  const out = [];
  let y = 28;
  out.push(`<text x="10" y="${y}" class="title">${esc(title)}</text>`);
  y += 22;

  const axis = (top, bottom, ticks) => {
    for (const t of ticks) {
      out.push(`<line x1="${x(t)}" y1="${top}" x2="${x(t)}" y2="${bottom}" class="${t === 1 ? 'one' : 'grid'}"/>`);
      out.push(`<text x="${x(t)}" y="${bottom + 13}" class="tick">${t}x</text>`);
    }
  };
  const bar = (r, value, goal, yy) => {
    const tone = !goal ? 'none' : goal.ok ? 'met' : 'missed';
    const from = x(1);
    const to = x(value);
    out.push(`<text x="10" y="${yy + 14}" class="label">${esc(label(r.figure))}</text>`);
    out.push(`<rect x="${Math.min(from, to)}" y="${yy + 4}" width="${Math.max(1.5, Math.abs(to - from))}" height="${rowH - 8}" class="${tone}"/>`);
    let text = `${fmt(value)}x`;
    if (goal) {
      const limit = goal.on === 'ratio' ? goal.limit : 1;
      out.push(`<line x1="${x(limit)}" y1="${yy + 1}" x2="${x(limit)}" y2="${yy + rowH - 1}" class="target"/>`);
      text = goal.on === 'ratio' ? `${text} · target ${r.target}` : `${goal.shown} · target ${r.target}`;
      text += goal.ok ? ' · met' : ` · ${goal.off}`;
    }
    out.push(`<text x="${plotX + plotW + 10}" y="${yy + 14}" class="value ${tone}-text">${esc(text)}</text>`);
  };

  out.push(`<text x="10" y="${y + 10}" class="head">Tin Can ÷ baseline (log scale; | marks the target)</text>`);
  y += 18;
  const top1 = y;
  for (const r of ratioRows) {
    bar(r, r.ratioValue, r.goal?.on === 'ratio' ? r.goal : null, y);
    y += rowH;
  }
  axis(top1, y, [0.01, 0.1, 1, 10, 100]);
  y += 30;

  if (limitRows.length) {
    out.push(`<text x="10" y="${y + 10}" class="head">Tin Can ÷ a fixed limit (1x = the limit)</text>`);
    y += 18;
    const top2 = y;
    for (const r of limitRows) {
      bar(r, r.goal.value / r.goal.limit, r.goal, y);
      y += rowH;
    }
    axis(top2, y, [0.01, 0.1, 1, 10, 100]);
    y += 30;
  }

  const met = rows.filter((r) => r.goal?.ok === true).length;
  const missed = rows.filter((r) => r.goal?.ok === false).length;
  out.push(`<text x="10" y="${y}" class="foot">${met} targets met, ${missed} missed. Green: met; red: missed (how far off); grey: no target.</text>`);
  y += 12;

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">
<style>
  svg { background: #fff; }
  .title { font-size: 15px; font-weight: 600; fill: #111; }
  .head { font-size: 12px; font-weight: 600; fill: #333; }
  .label { font-size: 11.5px; fill: #222; }
  .value { font-size: 11.5px; }
  .tick { font-size: 10px; fill: #666; text-anchor: middle; }
  .foot { font-size: 11px; fill: #444; }
  .grid { stroke: #ddd; stroke-width: 1; }
  .one { stroke: #888; stroke-width: 1; }
  .target { stroke: #000; stroke-width: 2.5; }
  .met { fill: #2e9d4f; }
  .missed { fill: #d1383d; }
  .none { fill: #a9adb3; }
  .met-text { fill: #1d6e35; }
  .missed-text { fill: #b0262b; font-weight: 600; }
  .none-text { fill: #555; }
</style>
${out.join('\n')}
</svg>
`;
}
