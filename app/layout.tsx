import type { Metadata } from "next";
import { GeistMono } from "geist/font/mono";
import { GeistSans } from "geist/font/sans";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Prestamos console", template: "%s · Prestamos console" },
  description: "Moves the loans database to its new schema through shadow tables, prestamo by prestamo.",
  // public/: the SVG for browsers that take it, the .ico for the ones that ask /favicon.ico anyway.
  icons: {
    icon: [
      { url: "/icon.svg", type: "image/svg+xml" },
      { url: "/favicon.ico", sizes: "32x32" },
    ],
  },
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en" className={`${GeistSans.variable} ${GeistMono.variable}`}>
      <body className="min-h-full bg-zinc-50 font-sans text-zinc-900 antialiased">{children}</body>
    </html>
  );
}
