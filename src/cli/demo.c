/* SPDX-License-Identifier: MIT */
/* bftime demo: placeholder until the fusion module lands. */
#include <stdio.h>
#include "cli.h"

int cmd_demo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("bftime demo\n");
	return 0;
}
