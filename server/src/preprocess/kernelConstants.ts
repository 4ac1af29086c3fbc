/**
 * Constants from kernel headers that livepatch sources use in expressions the analyser evaluates
 * (return values of callbacks, flags). Values are the x86/generic ones from include/uapi/asm-generic.
 */
export const errnoValues: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, EWOULDBLOCK: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15,
  EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23,
  EMFILE: 24, ENOTTY: 25, ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31,
  EPIPE: 32, EDOM: 33, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38,
  ENOTEMPTY: 39, ELOOP: 40, ENOMSG: 42, EIDRM: 43, ENODATA: 61, ETIME: 62, EOVERFLOW: 75,
  EOPNOTSUPP: 95, ENOTSUPP: 524, ETIMEDOUT: 110, ECANCELED: 125,
};

/** Names that evaluate to a known number in module code (errno values, booleans). */
export function kernelConstantValue(name: string): number | undefined {
  return errnoValues[name];
}

/** strerror() text for the errno values user-space tools print. */
export const strerrorText: Readonly<Record<number, string>> = {
  1: 'Operation not permitted', 2: 'No such file or directory', 3: 'No such process',
  4: 'Interrupted system call', 5: 'Input/output error', 8: 'Exec format error',
  11: 'Resource temporarily unavailable', 12: 'Cannot allocate memory', 13: 'Permission denied',
  14: 'Bad address', 16: 'Device or resource busy', 17: 'File exists', 19: 'No such device',
  22: 'Invalid argument', 28: 'No space left on device', 34: 'Numerical result out of range',
  38: 'Function not implemented', 95: 'Operation not supported', 110: 'Connection timed out',
};
