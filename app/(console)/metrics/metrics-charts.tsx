"use client";

import { Area, Bar, CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ReactElement } from "react";
import { fmtDec1, fmtInt, fmtPct } from "@/lib/format";
import type { BatchPoint } from "@/lib/migration/metrics";

const axis = { fontSize: 11, fill: "#71717a" };
const timeLabel = (iso: string | null) => (iso ? `${new Date(iso).toISOString().slice(11, 19)} UTC` : "");

export interface ChartPoint extends BatchPoint {
  /** 1-based position in the series: the x axis (times repeat within a second, batch numbers do not). */
  n: number;
  t: string;
  prestamosPerSec: number;
  pagosPerSec: number;
}

export function toPoints(batches: BatchPoint[]): ChartPoint[] {
  return batches.map((b, i) => {
    const secs = Math.max(b.durationMs, 1) / 1000;
    return {
      ...b,
      n: i + 1,
      t: timeLabel(b.finishedAt),
      prestamosPerSec: Math.round((b.prestamos / secs) * 10) / 10,
      pagosPerSec: Math.round((b.pagos / secs) * 10) / 10,
    };
  });
}

/** The frame every chart shares: its size and its accessible name. */
function ChartFrame({ label, children }: { label: string; children: ReactElement }) {
  return (
    <div className="h-64" role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height="100%">
        {children}
      </ResponsiveContainer>
    </div>
  );
}
const grid = <CartesianGrid strokeDasharray="3 3" stroke="#e4e4e7" />;
// A few batches draw as points, not a lone dot on an empty line.
const dotsFor = (data: ChartPoint[]) => (data.length <= 20 ? { r: 3 } : false);
const batchAxis = (data: ChartPoint[]) => (
  <XAxis
    dataKey="n"
    type="number"
    // Half a batch of room at each end: a bar at the first or last batch stays inside the plot.
    domain={[0.5, Math.max(1, data.length) + 0.5]}
    allowDecimals={false}
    tick={axis}
    tickFormatter={(v: number) => (Number.isInteger(v) && v >= 1 && v <= data.length ? `#${v}` : "")}
    label={{ value: "batch", position: "insideBottomRight", offset: 0, style: axis }}
    height={40}
  />
);
const legend = <Legend verticalAlign="top" height={24} iconType="plainline" wrapperStyle={{ fontSize: 12 }} />;
const tooltipLabel = (data: ChartPoint[]) => (n: unknown) => {
  const p = data[Number(n) - 1];
  return p ? `Batch #${p.n} · finished ${p.t} · ids ${p.fromId ?? "?"}–${p.toId ?? "?"}` : "";
};

/** Prestamos and pagos per second, each on its own axis (pagos are ~6× more and would flatten the prestamos line). */
export function ThroughputChart({ data }: { data: ChartPoint[] }) {
  return (
    <ChartFrame label="Throughput per batch: prestamos per second on the left axis, pagos per second on the right axis">
      <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        {grid}
        {batchAxis(data)}
        {legend}
        <YAxis
          yAxisId="p"
          tick={axis}
          width={56}
          tickFormatter={(v: number) => fmtInt(v)}
          label={{ value: "prestamos/s", angle: -90, position: "insideLeft", style: axis }}
        />
        <YAxis
          yAxisId="g"
          orientation="right"
          tick={axis}
          width={56}
          tickFormatter={(v: number) => fmtInt(v)}
          label={{ value: "pagos/s", angle: 90, position: "insideRight", style: axis }}
        />
        <Tooltip formatter={(v, name) => [`${fmtDec1(Number(v))} /s`, String(name)]} labelFormatter={tooltipLabel(data)} />
        <Line
          yAxisId="p"
          type="linear"
          dataKey="prestamosPerSec"
          name="Prestamos / s (left)"
          stroke="#0f766e"
          strokeWidth={2}
          dot={dotsFor(data)}
          isAnimationActive={false}
        />
        <Line
          yAxisId="g"
          type="linear"
          dataKey="pagosPerSec"
          name="Pagos / s (right)"
          stroke="#6366f1"
          strokeWidth={2}
          strokeDasharray="5 3"
          dot={dotsFor(data)}
          isAnimationActive={false}
        />
      </ComposedChart>
    </ChartFrame>
  );
}

export function DurationChart({ data, targetMs }: { data: ChartPoint[]; targetMs?: number }) {
  return (
    <ChartFrame label="Batch duration in milliseconds">
      <ComposedChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
        {grid}
        {batchAxis(data)}
        {legend}
        <YAxis tick={axis} width={56} tickFormatter={(v: number) => fmtInt(v)} label={{ value: "ms", angle: -90, position: "insideLeft", style: axis }} />
        <Tooltip formatter={(v) => [`${fmtInt(Number(v))} ms`, "Duration"]} labelFormatter={tooltipLabel(data)} />
        <Area type="linear" dataKey="durationMs" name="Duration (ms)" stroke="#0369a1" fill="#e0f2fe" dot={dotsFor(data)} isAnimationActive={false} />
        {targetMs !== undefined && targetMs > 0 && (
          <ReferenceLine
            y={targetMs}
            stroke="#0369a1"
            strokeDasharray="4 4"
            label={{ value: `target ${fmtInt(targetMs)} ms`, position: "insideTopRight", style: axis }}
          />
        )}
      </ComposedChart>
    </ChartFrame>
  );
}

/** Failed prestamos per batch (bars, left) and the batch's error rate (line, right) against the run's threshold. */
export function FailuresChart({ data, thresholdPct }: { data: ChartPoint[]; thresholdPct?: number }) {
  return (
    <ChartFrame label={`Failures per batch and error rate${thresholdPct !== undefined ? `, threshold ${fmtPct(thresholdPct)}` : ""}`}>
      <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        {grid}
        {batchAxis(data)}
        {legend}
        <YAxis yAxisId="n" tick={axis} width={40} allowDecimals={false} label={{ value: "failed", angle: -90, position: "insideLeft", style: axis }} />
        <YAxis
          yAxisId="pct"
          orientation="right"
          tick={axis}
          width={56}
          tickFormatter={(v: number) => `${v} %`}
          domain={[0, (max: number) => Math.max(max, (thresholdPct ?? 0) * 1.5, 1)]}
        />
        <Tooltip
          formatter={(v, name) => (String(name).startsWith("Error rate") ? [`${Number(v).toFixed(2)} %`, String(name)] : [fmtInt(Number(v)), String(name)])}
          labelFormatter={tooltipLabel(data)}
        />
        <Bar yAxisId="n" dataKey="failures" name="Failed prestamos (left)" fill="#fca5a5" maxBarSize={28} isAnimationActive={false} />
        <Line
          yAxisId="pct"
          type="linear"
          dataKey="errorRatePct"
          name="Error rate, % of the batch (right)"
          stroke="#b91c1c"
          strokeWidth={2}
          dot={dotsFor(data)}
          isAnimationActive={false}
        />
        {thresholdPct !== undefined && (
          <ReferenceLine
            yAxisId="pct"
            y={thresholdPct}
            stroke="#7f1d1d"
            strokeDasharray="6 3"
            label={{ value: `threshold ${fmtPct(thresholdPct)}`, position: "insideTopLeft", style: { ...axis, fill: "#7f1d1d" } }}
          />
        )}
      </ComposedChart>
    </ChartFrame>
  );
}
