/* fw_nft_text: placeholder, being written. */
#include "fw_nft_text.h"
