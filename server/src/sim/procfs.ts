/**
 * procfs files whose content comes from a vmlinux function (reference 6.5 for patch_state). When
 * the kernel model has no `procfs` section, these defaults describe the model's own kernel, so a
 * patch of cmdline_proc_show/meminfo_proc_show/version_proc_show changes what `cat` prints.
 */
import type { KernelModel } from '../kernel/types';

export function defaultProcfs(kernel: KernelModel): Record<string, { function: string; content: string }> {
  const release = kernel.release;
  return {
    '/proc/cmdline': { function: 'cmdline_proc_show', content: `BOOT_IMAGE=/boot/vmlinuz-${release} root=/dev/vda1 ro quiet\n` },
    '/proc/version': {
      function: 'version_proc_show',
      content: `Linux version ${release} (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian ${kernel.version.major}.${kernel.version.minor}.${kernel.version.patch}-1\n`,
    },
    '/proc/meminfo': {
      function: 'meminfo_proc_show',
      content: 'MemTotal:        2014788 kB\nMemFree:         1532096 kB\nMemAvailable:    1790652 kB\nBuffers:           22532 kB\nCached:           331216 kB\n',
    },
  };
}
