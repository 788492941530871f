/* SPDX-License-Identifier: MIT */
/*
 * The YAML helpers the configuration (src/daemon/config.c) and the
 * simulator's scenarios (sim/scenario.c) share, over libyaml's document
 * API: a node's scalar text, a mapping's duplicate keys. Values are read by
 * util/value.h; each caller words and places its own messages.
 */
#ifndef BFTIME_UTIL_YAMLKIT_H
#define BFTIME_UTIL_YAMLKIT_H

#include <stddef.h>

#include <yaml.h>

/* The text of a scalar node; NULL for NULL or another kind of node. */
const char *bft_yaml_scalar(const yaml_node_t *n);

/* The earlier key of mapping map named as the key of its pair i, or NULL
 * when that name comes first (or a key is not a scalar). */
const yaml_node_t *bft_yaml_dup_key(yaml_document_t *doc, const yaml_node_t *map, size_t i);

#endif
