# Shared build settings, sourced by the scripts so every build (and every
# developer who sources it) shares one cache. mold links much faster on
# small machines; it is used when present.
if command -v mold >/dev/null 2>&1; then
  export RUSTFLAGS="${RUSTFLAGS:--C link-arg=-fuse-ld=mold}"
fi
# Set by scripts/setup when the tests need their own PostgreSQL role.
if [ -f .stockroom/test-env ]; then
  . .stockroom/test-env
fi
