// SPDX-License-Identifier: GPL-2.0
/*
 * Example livepatch: counts opens per file descriptor table with a shadow
 * variable attached to the kernel's own object, and patches a function of
 * the nf_conntrack module, which is patched whenever that module loads.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/slab.h>

/* Shadow variable ids are global: keep them unique per feature. */
#define SHADOW_OPEN_COUNT	0x5c0001

struct open_count {
	unsigned long opens;
};

static int open_count_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	struct open_count *count = shadow_data;

	count->opens = 0;
	return 0;
}

static void open_count_dtor(void *obj, void *shadow_data)
{
	struct open_count *count = shadow_data;

	pr_info("dropping counter of %p after %lu opens\n", obj, count->opens);
}

static long livepatch_do_sys_openat2(int dfd, const char __user *filename,
				     struct open_how *how)
{
	struct open_count *count;

	count = klp_shadow_get_or_alloc(current->files, SHADOW_OPEN_COUNT,
					sizeof(*count), GFP_ATOMIC,
					open_count_ctor, NULL);
	if (count)
		count->opens++;
	return -ENOSYS;
}

static unsigned int livepatch_nf_conntrack_in(void *priv, struct sk_buff *skb,
					      const struct nf_hook_state *state)
{
	return 1;
}

static void shadow_counter_post_unpatch(struct klp_object *obj)
{
	klp_shadow_free_all(SHADOW_OPEN_COUNT, open_count_dtor);
}

static struct klp_func vmlinux_funcs[] = {
	{
		.old_name = "do_sys_openat2",
		.new_func = livepatch_do_sys_openat2,
	}, { }
};

static struct klp_func conntrack_funcs[] = {
	{
		.old_name = "nf_conntrack_in",
		.new_func = livepatch_nf_conntrack_in,
	}, { }
};

static struct klp_object objs[] = {
	{
		.funcs = vmlinux_funcs,
		.callbacks = {
			.post_unpatch = shadow_counter_post_unpatch,
		},
	}, {
		.name = "nf_conntrack",
		.funcs = conntrack_funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init shadow_counter_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit shadow_counter_exit(void)
{
}

module_init(shadow_counter_init);
module_exit(shadow_counter_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
