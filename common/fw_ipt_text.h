#ifndef NFLOGD_FW_IPT_TEXT_H
#define NFLOGD_FW_IPT_TEXT_H
#endif
