/**
 * The benchmark's chart (bench/results/cpu.svg): server CPU ms per request of each compared target
 * beside the target it is held to (the peer, a floor, the commit before), as bars at the median of
 * the rounds with a whisker from the lowest round to the highest. Plain SVG, no dependency.
 */

export interface ChartRow {
  key: string;
  title: string;
  against: string | null;
  cpuMsPerRequest: { median: number; min: number; max: number };
}

const WIDTH = 760;
const BAR = 18;
const GAP = 6;
const GROUP_GAP = 22;
const LEFT = 300;
const RIGHT = 70;
const TOP = 40;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The SVG text; each compared target and its yardstick form a group, in the order of `rows`. */
export function cpuChart(rows: readonly ChartRow[], subtitle: string): string {
  const byKey = new Map(rows.map((row) => [row.key, row]));
  const groups = rows
    .filter((row) => row.against && byKey.has(row.against))
    .map((row) => [row, byKey.get(row.against!)!] as const);
  if (groups.length === 0) return '';
  const most = Math.max(...groups.flat().map((row) => row.cpuMsPerRequest.max));
  const scale = (WIDTH - LEFT - RIGHT) / most;
  const height = TOP + groups.length * (2 * BAR + GAP + GROUP_GAP) + 20;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">Server CPU ms per request (median of the rounds; whisker: lowest to highest round)</text>`,
    `<text x="10" y="33" fill="#555">${escape(subtitle)}</text>`,
  ];
  let y = TOP;
  for (const pair of groups) {
    pair.forEach((row, i) => {
      const { median, min, max } = row.cpuMsPerRequest;
      const colour = i === 0 ? '#3366cc' : '#999999';
      const middle = y + BAR / 2;
      parts.push(
        `<text x="${LEFT - 8}" y="${middle + 4}" text-anchor="end">${escape(row.title.length > 46 ? `${row.title.slice(0, 45)}…` : row.title)}</text>`,
        `<rect x="${LEFT}" y="${y}" width="${(median * scale).toFixed(1)}" height="${BAR}" fill="${colour}"/>`,
        `<line x1="${(LEFT + min * scale).toFixed(1)}" x2="${(LEFT + max * scale).toFixed(1)}" y1="${middle}" y2="${middle}" stroke="#000"/>`,
        `<line x1="${(LEFT + min * scale).toFixed(1)}" x2="${(LEFT + min * scale).toFixed(1)}" y1="${middle - 4}" y2="${middle + 4}" stroke="#000"/>`,
        `<line x1="${(LEFT + max * scale).toFixed(1)}" x2="${(LEFT + max * scale).toFixed(1)}" y1="${middle - 4}" y2="${middle + 4}" stroke="#000"/>`,
        `<text x="${(LEFT + max * scale + 6).toFixed(1)}" y="${middle + 4}">${median}</text>`,
      );
      y += BAR + GAP;
    });
    y += GROUP_GAP - GAP;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
