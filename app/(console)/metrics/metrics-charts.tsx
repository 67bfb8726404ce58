"use client";

import { Area, Bar, CartesianGrid, ComposedChart, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ReactElement } from "react";
import { fmtDec1, fmtInt } from "@/lib/format";
import type { BatchPoint } from "@/lib/migration/metrics";

const axis = { fontSize: 11, fill: "#71717a" };
const timeLabel = (iso: string | null) => (iso ? new Date(iso).toISOString().slice(11, 19) : "");

export interface ChartPoint extends BatchPoint {
  t: string;
  prestamosPerSec: number;
  pagosPerSec: number;
}

export function toPoints(batches: BatchPoint[]): ChartPoint[] {
  return batches.map((b) => {
    const secs = Math.max(b.durationMs, 1) / 1000;
    return { ...b, t: timeLabel(b.finishedAt), prestamosPerSec: Math.round((b.prestamos / secs) * 10) / 10, pagosPerSec: Math.round((b.pagos / secs) * 10) / 10 };
  });
}

/** The frame every chart of the page shares: its size and its accessible name. */
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
const timeAxis = <XAxis dataKey="t" tick={axis} minTickGap={40} />;
const batchLabel = (l: unknown) => `Batch finished ${String(l)} UTC`;

export function ThroughputChart({ data }: { data: ChartPoint[] }) {
  return (
    <ChartFrame label="Throughput per batch, prestamos and pagos per second">
      <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
        {grid}
        {timeAxis}
        <YAxis tick={axis} width={56} tickFormatter={(v: number) => fmtInt(v)} label={{ value: "per second", angle: -90, position: "insideLeft", style: axis }} />
        <Tooltip formatter={(v, name) => [`${fmtDec1(Number(v))} /s`, String(name)]} labelFormatter={batchLabel} />
        <Line type="linear" dataKey="prestamosPerSec" name="Prestamos" stroke="#0f766e" strokeWidth={2} dot={false} isAnimationActive={false} />
        <Line type="linear" dataKey="pagosPerSec" name="Pagos" stroke="#6366f1" strokeWidth={2} strokeDasharray="5 3" dot={false} isAnimationActive={false} />
      </LineChart>
    </ChartFrame>
  );
}

export function DurationChart({ data }: { data: ChartPoint[] }) {
  return (
    <ChartFrame label="Batch duration in milliseconds">
      <ComposedChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
        {grid}
        {timeAxis}
        <YAxis tick={axis} width={56} tickFormatter={(v: number) => fmtInt(v)} label={{ value: "ms", angle: -90, position: "insideLeft", style: axis }} />
        <Tooltip formatter={(v) => [`${fmtInt(Number(v))} ms`, "Duration"]} labelFormatter={batchLabel} />
        <Area type="linear" dataKey="durationMs" name="Duration" stroke="#0369a1" fill="#e0f2fe" isAnimationActive={false} />
      </ComposedChart>
    </ChartFrame>
  );
}

export function FailuresChart({ data }: { data: ChartPoint[] }) {
  return (
    <ChartFrame label="Failures per batch and error rate">
      <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        {grid}
        {timeAxis}
        <YAxis yAxisId="n" tick={axis} width={40} allowDecimals={false} label={{ value: "failures", angle: -90, position: "insideLeft", style: axis }} />
        <YAxis yAxisId="pct" orientation="right" tick={axis} width={56} tickFormatter={(v: number) => `${v}%`} />
        <Tooltip
          formatter={(v, name) => (name === "Error rate" ? [`${Number(v).toFixed(2)} %`, name] : [fmtInt(Number(v)), String(name)])}
          labelFormatter={batchLabel}
        />
        <Bar yAxisId="n" dataKey="failures" name="Failures" fill="#fca5a5" isAnimationActive={false} />
        <Line yAxisId="pct" type="linear" dataKey="errorRatePct" name="Error rate" stroke="#b91c1c" strokeWidth={2} dot={false} isAnimationActive={false} />
      </ComposedChart>
    </ChartFrame>
  );
}
