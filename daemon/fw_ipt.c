/* fw_ipt: placeholder, being written. */
#include "firewall.h"
const struct fw_ops fw_ipt_ops = { .name = "iptables" };
