/** printk, the pr_* helpers, WARN/BUG (include/linux/printk.h, kern_levels.h, asm-generic/bug.h). */
import type { HeaderModel } from './model';

export const printk: HeaderModel = {
  name: 'linux/printk.h, linux/kern_levels.h, asm-generic/bug.h',
  text: () => `
#define KERN_SOH "\\001"
#define KERN_SOH_ASCII '\\001'
#define KERN_EMERG KERN_SOH "0"
#define KERN_ALERT KERN_SOH "1"
#define KERN_CRIT KERN_SOH "2"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE KERN_SOH "5"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"
#define KERN_DEFAULT ""
#define KERN_CONT KERN_SOH "c"
#define LOGLEVEL_EMERG 0
#define LOGLEVEL_ALERT 1
#define LOGLEVEL_CRIT 2
#define LOGLEVEL_ERR 3
#define LOGLEVEL_WARNING 4
#define LOGLEVEL_NOTICE 5
#define LOGLEVEL_INFO 6
#define LOGLEVEL_DEBUG 7

int printk(const char *fmt, ...);
void dump_stack(void);
void panic(const char *fmt, ...);
void __interp_warn(const char *fmt, ...);
void __interp_bug(void);

#define pr_fmt(fmt) fmt
#define no_printk(fmt, ...) ({ if (0) printk(fmt, ##__VA_ARGS__); 0; })
#define pr_emerg(fmt, ...) printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert(fmt, ...) printk(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...) printk(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...) printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warning(fmt, ...) pr_warn(fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...) printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_cont(fmt, ...) printk(KERN_CONT fmt, ##__VA_ARGS__)
/* Emitted at KERN_DEBUG; whether it is shown (dynamic debug) is the log consumer's decision. */
#define pr_debug(fmt, ...) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_devel(fmt, ...) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)

/* Once per call site since the module was loaded (a static flag per expansion, as DO_ONCE_LITE). */
#define printk_once(fmt, ...) ({ static bool __print_once; bool __ret_print_once = !__print_once; if (!__print_once) { __print_once = true; printk(fmt, ##__VA_ARGS__); } __ret_print_once; })
#define pr_emerg_once(fmt, ...) printk_once(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert_once(fmt, ...) printk_once(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit_once(fmt, ...) printk_once(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err_once(fmt, ...) printk_once(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_once(fmt, ...) printk_once(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice_once(fmt, ...) printk_once(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info_once(fmt, ...) printk_once(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug_once(fmt, ...) printk_once(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define printk_ratelimited(fmt, ...) printk(fmt, ##__VA_ARGS__)
#define pr_err_ratelimited(fmt, ...) pr_err(fmt, ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...) pr_warn(fmt, ##__VA_ARGS__)
#define pr_info_ratelimited(fmt, ...) pr_info(fmt, ##__VA_ARGS__)
#define pr_notice_ratelimited(fmt, ...) pr_notice(fmt, ##__VA_ARGS__)

/* WARN*: __interp_warn emits a warning event (message, call site, stack) and taints W. */
#define WARN_ON(condition) ({ int __ret_warn_on = !!(condition); if (__ret_warn_on) __interp_warn(NULL); __ret_warn_on; })
#define WARN(condition, format...) ({ int __ret_warn_on = !!(condition); if (__ret_warn_on) __interp_warn(format); __ret_warn_on; })
#define WARN_ON_ONCE(condition) ({ static bool __warned; int __ret_warn_once = !!(condition); if (__ret_warn_once && !__warned) { __warned = true; __interp_warn(NULL); } __ret_warn_once; })
#define WARN_ONCE(condition, format...) ({ static bool __warned; int __ret_warn_once = !!(condition); if (__ret_warn_once && !__warned) { __warned = true; __interp_warn(format); } __ret_warn_once; })
#define WARN_TAINT(condition, taint, format...) WARN(condition, format)
/* BUG: a fault of kind 'bug' on the calling task. */
#define BUG() __interp_bug()
#define BUG_ON(condition) do { if (condition) BUG(); } while (0)
`,
};
