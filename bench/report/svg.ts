/**
 * The CPU-per-token bar chart, written as plain SVG text: no browser, no charting dependency.
 *
 * @packageDocumentation
 */

import { KINDS, type Kind } from "../subjects/request-settings.js";
import type { Variant } from "../subjects/variants.js";
import type { VariantFigures } from "./summary.js";

const WIDTH = 960;
const PANEL_HEIGHT = 330;
const MARGIN = { top: 48, right: 24, bottom: 64, left: 64 };
const COLOURS: Record<Kind, string> = { completion: "#4C78A8", chat: "#F58518" };

const xmlText = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** 1, 2 or 5 times a power of ten, so the axis reads in round numbers. */
function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
}

function panel(
  title: string,
  figures: readonly VariantFigures[],
  variants: readonly Variant[],
  top: number,
): string {
  const shown = variants.filter((v) => figures.some((f) => f.variant === v.id));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const highest = Math.max(...figures.map((f) => f.cpuUsPerToken.max), 1);
  const step = niceStep(highest, 5);
  const yMax = Math.ceil(highest / step) * step;
  const y = (value: number) => top + MARGIN.top + plotHeight * (1 - value / yMax);
  const out: string[] = [
    `<text x="${MARGIN.left}" y="${top + 28}" font-size="16" font-weight="bold">${xmlText(title)}</text>`,
  ];
  for (let tick = 0; tick <= yMax + step / 2; tick += step) {
    const at = y(tick).toFixed(1);
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${at}" y2="${at}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 8}" y="${(y(tick) + 4).toFixed(1)}" font-size="11" text-anchor="end">${tick}</text>`,
    );
  }
  out.push(
    `<text transform="translate(16 ${top + MARGIN.top + plotHeight / 2}) rotate(-90)" font-size="12" text-anchor="middle">CPU µs per token (median; whiskers min–max)</text>`,
  );
  const group = plotWidth / shown.length;
  const bar = group * 0.32;
  shown.forEach((variant, index) => {
    const centre = MARGIN.left + group * (index + 0.5);
    KINDS.forEach((kind, side) => {
      const figure = figures.find((f) => f.variant === variant.id && f.kind === kind);
      if (figure === undefined) return;
      const { median, min, max } = figure.cpuUsPerToken;
      const x = centre + (side === 0 ? -bar - 2 : 2);
      const mid = x + bar / 2;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(median).toFixed(1)}" width="${bar.toFixed(1)}" height="${(y(0) - y(median)).toFixed(1)}" fill="${COLOURS[kind]}"><title>${xmlText(`${variant.label}, ${kind}: ${median.toFixed(1)} µs/token`)}</title></rect>`,
        `<line x1="${mid.toFixed(1)}" x2="${mid.toFixed(1)}" y1="${y(min).toFixed(1)}" y2="${y(max).toFixed(1)}" stroke="#333"/>`,
        `<text x="${mid.toFixed(1)}" y="${(y(max) - 4).toFixed(1)}" font-size="10" text-anchor="middle">${median.toFixed(1)}</text>`,
      );
    });
    out.push(
      `<text x="${centre.toFixed(1)}" y="${top + MARGIN.top + plotHeight + 18}" font-size="11" text-anchor="middle">${xmlText(variant.short)}</text>`,
    );
  });
  return out.join("\n");
}

/**
 * One panel per mode (flat out, paced): for each variant a completion bar and a chat bar.
 *
 * @param figures - from `summariseThroughput`
 * @returns a standalone SVG document
 */
export function renderCpuChart(
  figures: readonly VariantFigures[],
  variants: readonly Variant[],
  titles: Record<string, string>,
): string {
  const modes = [...new Set(figures.map((f) => f.mode))];
  const height = PANEL_HEIGHT * modes.length + 32;
  const panels = modes.map((mode, index) =>
    panel(
      titles[mode] ?? mode,
      figures.filter((f) => f.mode === mode),
      variants,
      index * PANEL_HEIGHT,
    ),
  );
  const legendY = height - 14;
  const legend = KINDS.map(
    (kind, index) =>
      `<rect x="${MARGIN.left + index * 180}" y="${legendY - 10}" width="12" height="12" fill="${COLOURS[kind]}"/>` +
      `<text x="${MARGIN.left + index * 180 + 18}" y="${legendY}" font-size="12">${kind === "completion" ? "completions model (/v1/completions)" : "chat model (/v1/chat/completions)"}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" role="img" aria-labelledby="title">`,
    `<title id="title">Median CPU µs per token by client, completions and chat models</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...panels,
    ...legend,
    "</svg>",
    "",
  ].join("\n");
}
