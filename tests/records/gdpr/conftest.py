from tests.records.utlamnande.conftest import items, request_ks, sn_account, sn_item  # noqa: F401
