/**
 * Kernel version strings: upstream versions ("6.1.176") and `uname -r` release strings
 * ("6.1.0-50-amd64", "5.14.0-284.11.1.el9_2.x86_64", "6.8.0-rc3").
 */
import type { KernelVersion } from './types';

const VERSION_RE = /^v?(\d+)\.(\d+)(?:\.(\d+))?/;

/** Leading major.minor[.patch] of a version or release string; undefined when there is none. */
export function parseKernelVersion(text: string): KernelVersion | undefined {
  const m = VERSION_RE.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? 0 : Number(m[3]) };
}

/**
 * Version of a release string. Distribution releases often carry an ABI number instead of the
 * upstream sublevel (Debian "6.1.0-50-amd64" is upstream 6.1.176), so `patch` from a release is a
 * lower bound; pass the package version when the exact sublevel matters.
 */
export function versionFromRelease(release: string): KernelVersion | undefined {
  return parseKernelVersion(release);
}

export function formatKernelVersion(v: KernelVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

export function compareKernelVersions(a: KernelVersion, b: KernelVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}
