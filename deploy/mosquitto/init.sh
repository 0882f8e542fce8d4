#!/bin/sh
# Create the dynamic security file with the admin account on the first start only; an
# existing file (with the provisioned terminals, companies and rescuers) is never
# rebuilt. Service accounts are set by the `mqtt-accounts` service (liftwatch
# terminals services).
set -eu
f=/mosquitto/data/dynamic-security.json
if [ ! -s "$f" ]; then
  : "${MQTT_ADMIN_PASSWORD:?set MQTT_ADMIN_PASSWORD}"
  mosquitto_ctrl dynsec init "$f" admin "$MQTT_ADMIN_PASSWORD" >/dev/null
  chown mosquitto:mosquitto "$f"
  chmod 0600 "$f"
  echo "created $f with the admin account"
fi
exec mosquitto -c /mosquitto/config/mosquitto.conf
