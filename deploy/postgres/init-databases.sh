#!/bin/sh
# Run once by the postgres image on an empty volume: one role and one database per node.
# The roles' password is COWORKNET_DB_PASSWORD from deploy/.env (see coworknet.env.example).
set -eu
for node in marseille aix fontainebleau; do
  psql -v ON_ERROR_STOP=1 --username postgres -v node="$node" -v db="coworknet_$node" \
       -v pw="$COWORKNET_DB_PASSWORD" <<'SQL'
CREATE ROLE :"node" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"node";
SQL
done
