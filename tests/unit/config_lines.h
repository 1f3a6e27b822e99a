/* Shared by test_config.c and tests/fuzz/fuzz_config.c: header only, as
 * the fuzz build does not link testutil.c. */
#ifndef NFLOGD_CONFIG_LINES_H
#define NFLOGD_CONFIG_LINES_H

#include "config.h"

/* Forget where each section, group, output and rule stood in its file,
 * so that two configs that differ only there compare equal with
 * memcmp(). */
static inline void tu_config_zero_lines(struct config *c)
{
	unsigned int i;

	c->fw.line = 0;
	c->ct_invalid.line = 0;
	for (i = 0; i < c->n_groups; i++)
		c->groups[i].line = 0;
	for (i = 0; i < c->n_outputs; i++)
		c->outputs[i].line = 0;
	for (i = 0; i < c->n_rules; i++)
		c->rules[i].line = 0;
}

#endif
