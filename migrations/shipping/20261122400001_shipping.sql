-- Rate tables per carrier and service, shipments and their tracking events.

-- Zones are relative to where parcels leave from (SHIPPING_ORIGIN_COUNTRY):
-- DOMESTIC, or INTERNATIONAL.
CREATE TABLE shipping_rates (
    id             UUID PRIMARY KEY,
    carrier        TEXT   NOT NULL CHECK (carrier IN ('SANDBOX', 'DHL', 'FEDEX', 'UPS')),
    service        TEXT   NOT NULL,
    zone           TEXT   NOT NULL CHECK (zone IN ('DOMESTIC', 'INTERNATIONAL')),
    base_cost      BIGINT NOT NULL CHECK (base_cost >= 0),
    -- Added for every started kilogram.
    per_kg_cost    BIGINT NOT NULL CHECK (per_kg_cost >= 0),
    currency       CHAR(3) NOT NULL,
    estimated_days INT    NOT NULL CHECK (estimated_days > 0),
    CONSTRAINT shipping_rates_carrier_service_zone_key UNIQUE (carrier, service, zone)
);

CREATE TABLE shipments (
    id                 UUID PRIMARY KEY,
    order_id           UUID        NOT NULL,
    customer_id        UUID        NOT NULL,
    carrier            TEXT        NOT NULL,
    tracking_number    TEXT        NOT NULL,
    status             TEXT        NOT NULL CHECK (status IN ('LABEL_CREATED', 'PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED', 'EXCEPTION')),
    estimated_delivery TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT shipments_order_id_key UNIQUE (order_id),
    CONSTRAINT shipments_tracking_number_key UNIQUE (tracking_number)
);
CREATE INDEX shipments_moving ON shipments (updated_at) WHERE status NOT IN ('DELIVERED', 'EXCEPTION');

CREATE TABLE tracking_events (
    id          BIGSERIAL PRIMARY KEY,
    shipment_id UUID        NOT NULL REFERENCES shipments (id),
    status      TEXT        NOT NULL,
    location    TEXT,
    description TEXT        NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX tracking_events_shipment ON tracking_events (shipment_id, id);
