# The Debian package agent-exporter, built by CPack: .ci/package (or, in a build directory
# where agent_exporter is built, cpack -G DEB). Layout as Debian's prometheus exporters:
#   /usr/bin/agent_exporter                              the binary (stripped)
#   /etc/agent_exporter/agent_exporter.yml               config (conffile)
#   /etc/default/agent_exporter                          ARGS= for the unit (conffile)
#   /lib/systemd/system/agent_exporter.service           the unit (deploy/systemd)
#   /usr/share/agent_exporter/                           rules, dashboards, Prometheus and
#                                                        Alertmanager configs (examples)
#   /usr/share/doc/agent-exporter/                       copyright, changelog.Debian.gz,
#                                                        examples/
# docs/deploy.md, "Debian package and systemd", explains the choices.
#
# The install() rules below with absolute destinations (/etc, /lib) also apply to
# `cmake --install`: set AGX_INSTALL_SYSTEM_FILES=OFF to install into a prefix only.
option(AGX_INSTALL_SYSTEM_FILES "Install the systemd unit and /etc files (the package layout)" ON)

set(AGX_DEB_SRC ${PROJECT_SOURCE_DIR}/deploy/debian)
# Debian package names allow no '_': the package is agent-exporter (as
# prometheus-node-exporter), the binary, unit, user and directories keep agent_exporter.
set(AGX_DEB_NAME agent-exporter)
set(AGX_DEB_DOC share/doc/${AGX_DEB_NAME})

if(AGX_INSTALL_SYSTEM_FILES)
  install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/agent_exporter.service
          DESTINATION /lib/systemd/system)
  install(FILES ${AGX_DEB_SRC}/agent_exporter.yml DESTINATION /etc/agent_exporter)
  install(FILES ${AGX_DEB_SRC}/default DESTINATION /etc/default RENAME agent_exporter)
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/rules/ DESTINATION share/agent_exporter/rules)
# (dashboards/.lint configures the dashboard linter of the test suite: not shipped.)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/dashboards/ DESTINATION share/agent_exporter/dashboards
        PATTERN .lint EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/config/prometheus.yml ${PROJECT_SOURCE_DIR}/config/alertmanager.yml
        DESTINATION share/agent_exporter)
install(FILES ${PROJECT_SOURCE_DIR}/config/agent_exporter.example.yml
              ${PROJECT_SOURCE_DIR}/deploy/systemd/transcripts.conf
        DESTINATION ${AGX_DEB_DOC}/examples)

# Debian policy: changelog.Debian.gz compressed with gzip -9n (no name, no time stamp, so
# the package is reproducible). Made at configure time; editing the changelog reconfigures.
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/deb)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${AGX_DEB_SRC}/changelog)
execute_process(COMMAND gzip -9nc ${AGX_DEB_SRC}/changelog
  OUTPUT_FILE ${PROJECT_BINARY_DIR}/deb/changelog.Debian.gz COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${AGX_DEB_SRC}/copyright ${PROJECT_BINARY_DIR}/deb/changelog.Debian.gz
        DESTINATION ${AGX_DEB_DOC})

# The package version is the project's with Debian revision 1; the changelog's newest
# entry must name the same version (tests/deb checks it).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ${AGX_DEB_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Prometheus exporter for AI agents")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Counts the runs, LLM calls, tokens, cost and tool calls of AI agents from
native JSON events (pushed or tailed from files), OpenTelemetry OTLP and the
session transcripts of coding agents (Claude Code, Codex), and serves them
on /metrics. Ships generated Prometheus alert rules and Grafana dashboards.")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER
    "agent_exporter maintainers <maintainers@users.noreply.b-seed-21a26fd7.example>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE https://github.com/agent-exporter/agent_exporter)
# Library dependencies from dpkg-shlibdeps, after adduser (postinst creates the user).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${AGX_DEB_SRC}/conffiles ${AGX_DEB_SRC}/postinst ${AGX_DEB_SRC}/prerm ${AGX_DEB_SRC}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_STRIP_FILES ON)
# cpack runs the install of this build tree; only agent_exporter needs to be built for it
# (.ci/package builds it), not the tests and benchmarks that `all` holds.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(CPack)
