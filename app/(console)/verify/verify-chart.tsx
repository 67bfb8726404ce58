"use client";

import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { fmtInt } from "@/lib/format";

/** Invalid prestamos by failure code (a prestamo failing two codes counts under each). */
export function FailureCodeChart({ data }: { data: { code: string; prestamos: number }[] }) {
  return (
    <div className="h-72 w-full" role="img" aria-label={`Invalid prestamos by failure code: ${data.map((d) => `${d.code} ${d.prestamos}`).join(", ")}`}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} stroke="#e4e4e7" />
          <XAxis type="number" allowDecimals={false} tickFormatter={(v: number) => fmtInt(v)} tick={{ fontSize: 12, fill: "#71717a" }} />
          <YAxis type="category" dataKey="code" width={130} tick={{ fontSize: 12, fill: "#3f3f46", fontFamily: "var(--font-geist-mono, monospace)" }} />
          <Tooltip formatter={(v) => [`${fmtInt(Number(v))} prestamos`, "Invalid"]} cursor={{ fill: "#f4f4f5" }} />
          <Bar dataKey="prestamos" fill="#dc2626" radius={[0, 4, 4, 0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
