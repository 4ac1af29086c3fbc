// SPDX-License-Identifier: GPL-2.0
/*
 * Example livepatch: replaces the function behind /proc/cmdline so the fix
 * can be seen from user space without a reboot.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

#define CMDLINE_FIX_STATE	0x1c0de
#define CMDLINE_FIX_VERSION	2

static struct klp_patch patch;

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "this has been live patched");
	return 0;
}

static int cmdline_fix_pre_patch(struct klp_object *obj)
{
	struct klp_state *state = klp_get_state(&patch, CMDLINE_FIX_STATE);

	if (!state)
		return -EINVAL;
	pr_info("%s: preparing %s\n", __func__, obj->name ? obj->name : "vmlinux");
	return 0;
}

static void cmdline_fix_post_unpatch(struct klp_object *obj)
{
	pr_info("%s: cleaned up\n", __func__);
}

static struct klp_func funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = livepatch_cmdline_proc_show,
	}, { }
};

static struct klp_object objs[] = {
	{
		/* name being NULL means vmlinux */
		.funcs = funcs,
		.callbacks = {
			.pre_patch = cmdline_fix_pre_patch,
			.post_unpatch = cmdline_fix_post_unpatch,
		},
	}, { }
};

static struct klp_state states[] = {
	{
		.id = CMDLINE_FIX_STATE,
		.version = CMDLINE_FIX_VERSION,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.states = states,
	.replace = true,
};

static int __init livepatch_cmdline_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit livepatch_cmdline_exit(void)
{
}

module_init(livepatch_cmdline_init);
module_exit(livepatch_cmdline_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
