"""BagIt as the second format: the same SIP as a bag's payload, checked with bagit's own validator."""

from __future__ import annotations

import zipfile
from pathlib import Path

import bagit

from insyn.records.earchive import actions
from insyn.records.earchive.models import Delivery
from insyn.records.earchive.validation import check_bag


def _unpack(delivery, tmp_path) -> Path:
    with zipfile.ZipFile(actions.package_path(delivery)) as zf:
        zf.extractall(tmp_path)
    return tmp_path / delivery.objid


def test_a_bag_validates_and_carries_the_sip(small_archive, arkivarie, tmp_path):
    delivery = actions.request_delivery(arkivarie, account=small_archive["account"], fmt=Delivery.Format.BAGIT)
    delivery = actions.build_delivery(delivery)
    assert delivery.status == Delivery.Status.VALID, delivery.report
    names = [c["name"] for c in delivery.report["checks"]]
    assert "BagIt (RFC 8493)" in names and any(n.startswith("eark-validator") for n in names)
    bag_dir = _unpack(delivery, tmp_path)
    bag = bagit.Bag(str(bag_dir))
    assert bag.is_valid()
    assert "sha256" in bag.algorithms
    info = bag.info
    assert info["Source-Organization"] == "Testkommun"
    assert info["External-Identifier"] == delivery.objid
    assert "Bagging-Date" in info and "Payload-Oxum" in info
    assert (bag_dir / "data" / delivery.objid / "METS.xml").is_file()
    assert (bag_dir / "data" / delivery.objid / "representations" / "rep1" / "data" / "items.json").is_file()
    assert check_bag(bag_dir).status == "valid"


def test_a_tampered_bag_fails(small_archive, arkivarie, tmp_path):
    delivery = actions.build_delivery(actions.request_delivery(arkivarie, account=small_archive["account"],
                                                               fmt=Delivery.Format.BAGIT))
    bag_dir = _unpack(delivery, tmp_path)
    items = bag_dir / "data" / delivery.objid / "representations" / "rep1" / "data" / "items.json"
    items.write_bytes(items.read_bytes().replace(b"badhuset", b"BADHUSET", 1))
    check = check_bag(bag_dir)
    assert check.status == "invalid"
    assert any("items.json" in e for e in check.errors)
    # An extra file in the payload is caught too.
    items.write_bytes(items.read_bytes().replace(b"BADHUSET", b"badhuset", 1))
    assert check_bag(bag_dir).status == "valid"
    (bag_dir / "data" / "extra.txt").write_text("smuggled")
    assert check_bag(bag_dir).status == "invalid"
