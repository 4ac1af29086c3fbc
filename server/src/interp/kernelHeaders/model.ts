/** One entry of the kernel header model: C declarations and macros standing in for a header. */
export interface HeaderModel {
  /** The kernel headers this entry stands in for (documentation only). */
  name: string;
  /** C text; a function so config-derived values (HZ) can be filled in. */
  text: (config: HeaderConfig) => string;
}

export interface HeaderConfig {
  /** CONFIG_HZ: timer ticks per second. */
  hz: number;
}
