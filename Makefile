# The two commands of the README: `make run` and `make test`. Each installs what is
# missing first (Debian packages, the Python environment, the PBX), then does its job.

VENV   ?= .venv
PYTHON ?= python3
CCC    := $(VENV)/bin/ccc
PYTEST := $(VENV)/bin/pytest
# Debian packages: debootstrap builds the PBX root; SIPp and sox drive and check calls
# in the tests; espeak-ng speaks prompts; postgresql is the second database (the
# host's cluster, and a test's own one it stops: its initdb and pg_ctl); chromium
# runs the browser tests (driven by Playwright, never with a browser of its own), with a
# Chinese font so its screenshots of the Chinese pages show characters, not boxes;
# nodejs and npm install the pages' pinned browser libraries (package-lock.json);
# openssl makes the site's self-signed certificate; systemd brings systemd-analyze, which
# checks the units `make install` writes; the tests scan the PBX with sipvicious and
# trust the site's certificate in Chromium's store with certutil (libnss3-tools).
APT_PACKAGES := debootstrap sip-tester sox espeak-ng postgresql python3-venv ca-certificates chromium \
                fonts-wqy-microhei nodejs npm openssl systemd sipvicious libnss3-tools
# The workbench's SIP library, bundled into one ES module served from our own origin.
NPM_STAMP  := node_modules/.installed
SIP_BUNDLE := webadmin/static/vendor/sip.js

# The web admin's catalogues: the .po files are the source, the .mo files are built.
TRANSLATIONS := webadmin/translations
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))

.PHONY: run test unit integration install host-packages python node pbx postgres messages clean

run: host-packages python node pbx
	$(CCC) db upgrade
	$(CCC) demo
	$(CCC) pbx start
	@echo "ccc serve: Ctrl-C stops it (the PBX keeps running: $(CCC) pbx stop)"
	$(CCC) serve

# A PBX host in production: the services (Asterisk in its root, `ccc serve`, the web
# app under gunicorn) as systemd units, one unprivileged user, TLS (README: "Install on
# a PBX host"). Settings come from the environment the first time (/etc/ccc/ccc.env).
install: host-packages python node pbx
	$(CCC) install

# Unit tests and four integration shards run side by side (tests/parallel.py).
test: host-packages python node pbx postgres
	$(VENV)/bin/python tests/parallel.py

unit: python
	$(PYTEST) -q tests/unit

integration: host-packages python node pbx postgres
	$(PYTEST) -q tests/integration

host-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" && continue; \
	  case $$p in \
	    nodejs) command -v node >/dev/null && continue;; \
	    npm) command -v npm >/dev/null && continue;; \
	  esac; \
	  missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

python: $(VENV)/.installed $(MO_FILES)

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

# The pages' browser libraries: exactly the versions and hashes of package-lock.json
# (npm ci), again only when the lock changed; no package's install script runs (the
# bundler works without its optional one). Then SIP.js becomes one minified ES module
# the workbench imports from /static/vendor/.
node: host-packages $(SIP_BUNDLE)

$(NPM_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(SIP_BUNDLE): $(NPM_STAMP)
	node_modules/.bin/esbuild node_modules/sip.js/lib/index.js --bundle --format=esm \
	  --minify --target=chrome100 --legal-comments=eof --log-level=warning --outfile=$@

%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile -i $< -o $@

# Gather every translatable text into each catalogue (new ones untranslated, fuzzy
# matches marked). Without source locations or source order, so that two branches
# adding pages touch different lines of the catalogues.
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k lazy_gettext -k _l -k t --no-location --sort-output --no-wrap \
	  -o $(TRANSLATIONS)/messages.pot .
	$(VENV)/bin/pybabel -q update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
	  --ignore-obsolete --ignore-pot-creation-date --no-wrap
	rm $(TRANSLATIONS)/messages.pot

pbx: python
	$(CCC) pbx install

# The PostgreSQL half of the tests: start the local cluster if it is down, and make
# sure root may use it over the local socket.
postgres: host-packages
	@pg_isready -q -h /var/run/postgresql || { \
	  cluster=$$(ls /etc/postgresql | sort -V | tail -n 1); \
	  pg_ctlcluster --skip-systemctl-redirect $$cluster main start; }
	@runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='root'" | grep -q 1 || \
	  runuser -u postgres -- createuser --superuser root

clean:
	rm -rf $(VENV) var test-output node_modules webadmin/static/vendor
