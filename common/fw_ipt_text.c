/* fw_ipt_text: placeholder, being written. */
#include "fw_ipt_text.h"
