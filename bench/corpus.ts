/**
 * Generates kernel-style livepatch C for benchmarks: modules with annotated functions, macros,
 * conditionals, shadow variables, states and klp tables, deterministic for a given seed so runs
 * compare.
 */
const targets = ['cmdline_proc_show', 'meminfo_proc_show', 'version_proc_show', 'do_sys_openat2', 'update_curr', 'tcp_sendmsg', 'vfs_read', 'vfs_write'];

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** One function of extracted-kernel flavour: locals, loops, locks, a shadow lookup. */
function kernelFunction(name: string, index: number, next: () => number): string {
  const n = 3 + Math.floor(next() * 5);
  let body = '';
  for (let i = 0; i < n; i++) {
    body += `\tif (unlikely(ctx->flags & (1UL << ${i}))) {\n\t\tspin_lock(&ctx->lock);\n\t\tctx->count[${i}] += READ_ONCE(ctx->pending);\n\t\tspin_unlock(&ctx->lock);\n\t}\n`;
  }
  return `static noinline int __must_check ${name}(struct lp_ctx_${index % 7} __rcu *ctx, const char __user *buf, size_t len)
{
\tstruct lp_shadow *s;
\tint ret = 0;
\tunsigned long i;

\ts = klp_shadow_get_or_alloc(ctx, LP_SHADOW_ID_${index % 4}, sizeof(*s), GFP_ATOMIC, NULL, NULL);
\tif (!s)
\t\treturn -ENOMEM;
\tfor (i = 0; i < len; i++) {
\t\tif (buf[i] == '\\n')
\t\t\tbreak;
\t\tret += i * ${index};
\t}
${body}#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 10, 0)
\tret = min_t(int, ret, 4096);
#else
\tret = ret > 4096 ? 4096 : ret;
#endif
\tpr_debug("%s: %d\\n", __func__, ret);
\treturn ret;
}

`;
}

/** A whole livepatch module of roughly `functions` functions. */
export function generateModule(seed: number, functions: number): string {
  const next = random(seed);
  let text = `// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/slab.h>

#define LP_SHADOW_ID_0\t0x${(seed * 16 + 1).toString(16)}
#define LP_SHADOW_ID_1\t0x${(seed * 16 + 2).toString(16)}
#define LP_SHADOW_ID_2\t0x${(seed * 16 + 3).toString(16)}
#define LP_SHADOW_ID_3\t0x${(seed * 16 + 4).toString(16)}
#define LP_STATE_ID\t${seed + 1}

struct lp_shadow { unsigned long value; };

`;
  const names: string[] = [];
  for (let i = 0; i < functions; i++) {
    const name = `livepatch_fn_${seed}_${i}`;
    names.push(name);
    text += kernelFunction(name, i, next);
  }
  text += 'static struct klp_func funcs[] = {\n';
  names.forEach((name, i) => {
    text += `\t{\n\t\t.old_name = "${targets[i % targets.length]}",\n\t\t.new_func = ${name},\n\t\t.old_sympos = ${i < targets.length ? 0 : 1},\n\t},\n`;
  });
  text += `\t{ }
};

static int lp_pre_patch(struct klp_object *obj)
{
\tif (klp_get_prev_state(LP_STATE_ID))
\t\treturn 0;
\treturn 0;
}

static void lp_post_unpatch(struct klp_object *obj)
{
\tklp_shadow_free_all(LP_SHADOW_ID_0, NULL);
}

static struct klp_object objs[] = {
\t{
\t\t.funcs = funcs,
\t\t.callbacks = {
\t\t\t.pre_patch = lp_pre_patch,
\t\t\t.post_unpatch = lp_post_unpatch,
\t\t},
\t}, { }
};

static struct klp_state states[] = {
\t{ .id = LP_STATE_ID, .version = 1 },
\t{ }
};

static struct klp_patch patch = {
\t.mod = THIS_MODULE,
\t.objs = objs,
\t.states = states,
\t.replace = true,
};

static int __init lp_init(void)
{
\treturn klp_enable_patch(&patch);
}

static void __exit lp_exit(void)
{
}

module_init(lp_init);
module_exit(lp_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
`;
  return text;
}

/** Modules totalling at least `bytes` of text. */
export function generateCorpus(bytes: number): { name: string; text: string }[] {
  const files: { name: string; text: string }[] = [];
  let total = 0;
  for (let seed = 1; total < bytes; seed++) {
    const text = generateModule(seed, 40);
    files.push({ name: `lp_bench_${seed}.c`, text });
    total += Buffer.byteLength(text);
  }
  return files;
}

/** A single file of about `lines` lines. */
export function generateLongFile(lines: number): string {
  let functions = 10;
  let text = generateModule(9999, functions);
  while (text.split('\n').length < lines) {
    functions = Math.ceil(functions * (lines / text.split('\n').length)) + 1;
    text = generateModule(9999, functions);
  }
  return text;
}

/*
 * A second corpus, closer to real livepatch sources (samples/livepatch, kpatch-build output):
 * the same constructs as above, plus what real files carry around them and the first corpus has
 * none of — a license header, kernel-doc comments before functions, comments inside bodies,
 * blank lines between blocks, longer names and longer strings. It parses faster per byte (a
 * comment is one token), so `npm run bench` reports both corpora side by side.
 */
const subsystems = ['proc_cmdline', 'meminfo_report', 'openat2_resolve', 'sched_fair_update', 'tcp_send_path', 'vfs_read_iter', 'vfs_write_iter'];

function kernelDoc(name: string, index: number, next: () => number): string {
  const lines = [
    `/**`,
    ` * ${name}() - replacement for ${targets[index % targets.length]}() with the fix applied`,
    ` * @ctx: per-instance context, protected by @ctx->lock`,
    ` * @buf: user buffer the caller passed down; only read up to the first newline`,
    ` * @len: number of bytes available in @buf`,
    ` *`,
    ` * The original function could overflow the pending counter when several writers raced`,
    ` * on the same context; this version clamps the result and keeps the shadow variable in`,
    ` * step so that later patches in the series see a consistent value.`,
  ];
  if (next() < 0.5) lines.push(` *`, ` * Context: process context, takes and releases @ctx->lock; may not sleep.`);
  lines.push(` * Return: the number of bytes consumed, or a negative errno.`, ` */`);
  return lines.join('\n') + '\n';
}

function kernelStyleFunction(name: string, index: number, next: () => number): string {
  const n = 3 + Math.floor(next() * 5);
  let body = '';
  for (let i = 0; i < n; i++) {
    body += `\n\t/* Flag ${i}: account the pending work before anyone else sees it. */\n`;
    body += `\tif (unlikely(ctx->flags & (1UL << ${i}))) {\n\t\tspin_lock(&ctx->lock);\n\t\tctx->pending_count[${i}] += READ_ONCE(ctx->pending_bytes);\n\t\tspin_unlock(&ctx->lock);\n\t}\n`;
  }
  return `${kernelDoc(name, index, next)}static noinline int __must_check ${name}(struct ${subsystems[index % subsystems.length]}_ctx __rcu *ctx,
\t\t\t\t\t\t const char __user *buf, size_t len)
{
\tstruct livepatch_shadow_counter *shadow_counter;
\tunsigned long position;
\tint consumed = 0;

\tshadow_counter = klp_shadow_get_or_alloc(ctx, LP_SHADOW_ID_${index % 4}, sizeof(*shadow_counter),
\t\t\t\t\t\t GFP_ATOMIC, NULL, NULL);
\tif (!shadow_counter) {
\t\tpr_warn("%s: cannot allocate the shadow counter for this context\\n", __func__);
\t\treturn -ENOMEM;
\t}

\t/* Stop at the first newline, like the original does. */
\tfor (position = 0; position < len; position++) {
\t\tif (buf[position] == '\\n')
\t\t\tbreak;
\t\tconsumed += position * ${index};
\t}
${body}
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 10, 0)
\tconsumed = min_t(int, consumed, LIVEPATCH_MAX_CONSUMED);
#else
\tconsumed = consumed > LIVEPATCH_MAX_CONSUMED ? LIVEPATCH_MAX_CONSUMED : consumed;
#endif
\tshadow_counter->value += consumed;
\tpr_debug("%s: consumed %d bytes, shadow counter now %lu\\n", __func__, consumed, shadow_counter->value);

\treturn consumed;
}

`;
}

/** A livepatch module written the way kernel sources are (see above). */
export function generateKernelStyleModule(seed: number, functions: number): string {
  const next = random(seed);
  let text = `// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * livepatch-fix-${seed}.c - cumulative live patch for the pending-counter overflow
 *
 * Copyright (C) 2024 Example Corporation
 *
 * This module replaces the functions that update the per-context pending counters with
 * versions that clamp the value, and keeps a shadow counter per context so that the next
 * patch of the series can take the state over (see the klp_state below).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

/* Shadow variable ids: one per kind of context the patched functions see. */
#define LP_SHADOW_ID_0\t0x${(seed * 16 + 1).toString(16)}
#define LP_SHADOW_ID_1\t0x${(seed * 16 + 2).toString(16)}
#define LP_SHADOW_ID_2\t0x${(seed * 16 + 3).toString(16)}
#define LP_SHADOW_ID_3\t0x${(seed * 16 + 4).toString(16)}
#define LP_STATE_ID\t${seed + 1}
#define LIVEPATCH_MAX_CONSUMED\t4096

/* What the shadow variable holds for each patched context. */
struct livepatch_shadow_counter {
\tunsigned long value;
};

`;
  const names: string[] = [];
  for (let i = 0; i < functions; i++) {
    const name = `livepatch_${subsystems[i % subsystems.length]}_fixed_${seed}_${i}`;
    names.push(name);
    text += kernelStyleFunction(name, i, next);
  }
  text += '/* The functions this patch replaces, in the order the core patches them. */\nstatic struct klp_func funcs[] = {\n';
  names.forEach((name, i) => {
    text += `\t{\n\t\t.old_name = "${targets[i % targets.length]}",\n\t\t.new_func = ${name},\n\t\t.old_sympos = ${i < targets.length ? 0 : 1},\n\t},\n`;
  });
  text += `\t{ }
};

/**
 * livepatch_pre_patch_callback() - refuse to patch over an older, incompatible state
 * @obj: the object being patched (vmlinux)
 *
 * Return: 0 to let the transition start.
 */
static int livepatch_pre_patch_callback(struct klp_object *obj)
{
\tif (klp_get_prev_state(LP_STATE_ID))
\t\treturn 0;

\treturn 0;
}

/* Shadow variables die with the last patch that knows them. */
static void livepatch_post_unpatch_callback(struct klp_object *obj)
{
\tklp_shadow_free_all(LP_SHADOW_ID_0, NULL);
}

static struct klp_object objs[] = {
\t{
\t\t/* name being NULL means vmlinux */
\t\t.funcs = funcs,
\t\t.callbacks = {
\t\t\t.pre_patch = livepatch_pre_patch_callback,
\t\t\t.post_unpatch = livepatch_post_unpatch_callback,
\t\t},
\t}, { }
};

static struct klp_state states[] = {
\t{ .id = LP_STATE_ID, .version = 1 },
\t{ }
};

static struct klp_patch patch = {
\t.mod = THIS_MODULE,
\t.objs = objs,
\t.states = states,
\t.replace = true,
};

static int __init livepatch_init(void)
{
\treturn klp_enable_patch(&patch);
}

static void __exit livepatch_exit(void)
{
}

module_init(livepatch_init);
module_exit(livepatch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
`;
  return text;
}

/** Kernel-style modules totalling at least `bytes` of text. */
export function generateKernelStyleCorpus(bytes: number): { name: string; text: string }[] {
  const files: { name: string; text: string }[] = [];
  let total = 0;
  for (let seed = 1; total < bytes; seed++) {
    const text = generateKernelStyleModule(seed, 30);
    files.push({ name: `livepatch_fix_${seed}.c`, text });
    total += Buffer.byteLength(text);
  }
  return files;
}
