# The Debian package of GridLedger (CPack): /usr/bin/gridledger alone, its
# Depends computed by dpkg-shlibdeps from the binary, so they are exactly the
# shared libraries it links (and their packages' versions as built).
#
#   cpack --config build/CPackConfig.cmake -G DEB -B build/package
#
# scripts/package-check builds it and installs it on a minimal Debian 12
# root; the Dockerfile installs the same file.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gridledger)
set(CPACK_PACKAGE_VENDOR "GridLedger")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "GridLedger: an electric utility's customer business, event-sourced on Kafka or RocksDB")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "GridLedger engineers <gridledger@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)
# Only the runtime component: nothing another target or a dependency might
# install lands in the package.
set(CPACK_COMPONENTS_ALL runtime)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
include(CPack)
