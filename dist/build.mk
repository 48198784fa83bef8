# SPDX-License-Identifier: GPL-2.0
# dist/: the systemd unit, and `make install` / `make uninstall`. PREFIX defaults to /usr/local
# (packages pass /usr); configuration lives in /etc/anyedge and state in /var/lib/anyedge
# whatever the prefix, as the unit and the policy defaults expect. DESTDIR stages the tree.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/anyedge
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
INSTALL ?= install

DIST_DOCS := README.md config/SCHEMA.md $(wildcard docs/*.md)

$(B)/anyedged.service: dist/anyedged.service.in | $(B)
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
		-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' $< >$@

.PHONY: install uninstall
# The unit's paths depend on the prefix: regenerate it on every install.
install: $(B)/anyedge $(B)/anyedged
	$(Q)rm -f $(B)/anyedged.service
	$(Q)$(MAKE) --no-print-directory $(B)/anyedged.service
	$(Q)$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples
	$(Q)$(INSTALL) -m 0755 $(B)/anyedge $(DESTDIR)$(BINDIR)/anyedge
	$(Q)$(INSTALL) -m 0755 $(B)/anyedged $(DESTDIR)$(SBINDIR)/anyedged
	$(Q)$(INSTALL) -m 0644 man/anyedge.1 $(DESTDIR)$(MANDIR)/man1/anyedge.1
	$(Q)$(INSTALL) -m 0644 man/anyedged.8 $(DESTDIR)$(MANDIR)/man8/anyedged.8
	$(Q)$(INSTALL) -m 0644 $(B)/anyedged.service $(DESTDIR)$(UNITDIR)/anyedged.service
	$(Q)$(INSTALL) -m 0644 $(DIST_DOCS) $(DESTDIR)$(DOCDIR)/
	$(Q)$(INSTALL) -m 0644 config/example.yaml $(DESTDIR)$(DOCDIR)/examples/policy.yaml
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/anyedge

# Leaves /etc/anyedge (the operator's policy and token) and /var/lib/anyedge alone.
uninstall:
	$(Q)rm -f $(DESTDIR)$(BINDIR)/anyedge $(DESTDIR)$(SBINDIR)/anyedged \
		$(DESTDIR)$(MANDIR)/man1/anyedge.1 $(DESTDIR)$(MANDIR)/man8/anyedged.8 \
		$(DESTDIR)$(UNITDIR)/anyedged.service
	$(Q)rm -rf $(DESTDIR)$(DOCDIR)

# `make deb`: the Debian package, built by dpkg-buildpackage from a copy of the tree's files
# (git's list, untracked ones included; or all but build/) in a temporary directory, so this
# tree stays clean; the .deb lands in $(B)/deb. Needs debhelper.
.PHONY: deb
deb:
	$(call msg,DEB,$(B)/deb)
	$(Q)rm -rf $(B)/deb && mkdir -p $(B)/deb
	$(Q)set -e; tmp=$$(mktemp -d /tmp/anyedge-deb.XXXXXX); trap 'rm -rf "$$tmp"' EXIT; \
	mkdir "$$tmp/src"; \
	{ git ls-files -co --exclude-standard 2>/dev/null || \
	  find . -path ./.git -prune -o -path ./build -prune -o -type f -print; } | \
		tar -c -T - -f - | tar -x -C "$$tmp/src" -f -; \
	cd "$$tmp/src"; \
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		DEB_BUILD_OPTIONS="noddebs nocheck $(DEB_BUILD_OPTIONS)" dpkg-buildpackage -b -us -uc -j2 >"$$tmp/build.log" 2>&1 || \
		{ tail -n 30 "$$tmp/build.log"; exit 1; }; \
	cd - >/dev/null; mv "$$tmp"/*.deb $(B)/deb/; ls $(B)/deb/*.deb
