/* fw_nft: placeholder, being written. */
#include "firewall.h"
const struct fw_ops fw_nft_ops = { .name = "nftables" };
