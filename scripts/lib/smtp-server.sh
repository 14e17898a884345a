# Sourced by scripts/test: a Python virtual environment with aiosmtpd (pinned, from PyPI) for
# the mail crate's tests against a real SMTP server (crates/papertide_mail/tests/it/smtp.rs
# starts `python -m aiosmtpd` on a free loopback port per test and reads what it received).
#
#   setup_smtp_test_python     # exports PAPERTIDE_TEST_SMTP_PYTHON=<venv>/bin/python
#
# The environment lives in target/smtp-venv and is made once (a stamp file names the pinned
# version; changing the pin makes it anew). Needs python3 with the venv module. Run it from the
# repository root.

AIOSMTPD_VERSION=1.4.6

setup_smtp_test_python() {
  local venv="$PWD/target/smtp-venv"
  local stamp="$venv/.versions-aiosmtpd-$AIOSMTPD_VERSION"
  if [ ! -f "$stamp" ]; then
    echo "smtp-server.sh: installing aiosmtpd $AIOSMTPD_VERSION into $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION"
    "$venv/bin/python" -c 'import aiosmtpd.handlers' # fails loudly when the install is broken
    touch "$stamp"
  fi
  export PAPERTIDE_TEST_SMTP_PYTHON="$venv/bin/python"
}
