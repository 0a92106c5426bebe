/* SPDX-License-Identifier: GPL-2.0-only */
/* Capability numbers newer than some kernel headers: Debian bookworm's know
 * them; older ones may not. */
#ifndef LT_CAPS_H
#define LT_CAPS_H

#include <linux/capability.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif

#endif
