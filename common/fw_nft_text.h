#ifndef NFLOGD_FW_NFT_TEXT_H
#define NFLOGD_FW_NFT_TEXT_H
#endif
