/* SPDX-License-Identifier: MIT */
/* YAML helpers (yamlkit.h). */
#include "util/yamlkit.h"

#include <string.h>

const char *bft_yaml_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

const yaml_node_t *bft_yaml_dup_key(yaml_document_t *doc, const yaml_node_t *map, size_t i)
{
	const yaml_node_pair_t *p = map->data.mapping.pairs.start;
	const char *k = bft_yaml_scalar(yaml_document_get_node(doc, p[i].key));
	for (size_t j = 0; k && j < i; j++) {
		const yaml_node_t *prev = yaml_document_get_node(doc, p[j].key);
		const char *k2 = bft_yaml_scalar(prev);
		if (k2 && !strcmp(k, k2))
			return prev;
	}
	return NULL;
}
