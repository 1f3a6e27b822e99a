# Installs the shipped configuration without ever overwriting the
# operator's: an existing nflogd.conf is kept and the shipped one is put
# beside it as nflogd.conf.dist.  Run by `cmake --install` with
# NFLOGD_CONF_SRC and NFLOGD_CONF_DIR set (see CMakeLists.txt).
set(dest "$ENV{DESTDIR}${NFLOGD_CONF_DIR}")
file(MAKE_DIRECTORY "${dest}")
set(name nflogd.conf)
if(EXISTS "${dest}/nflogd.conf")
  set(name nflogd.conf.dist)
  message(STATUS "Keeping: ${dest}/nflogd.conf (the shipped one is ${dest}/nflogd.conf.dist)")
endif()
message(STATUS "Installing: ${dest}/${name}")
configure_file("${NFLOGD_CONF_SRC}" "${dest}/${name}" COPYONLY)
file(CHMOD "${dest}/${name}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
