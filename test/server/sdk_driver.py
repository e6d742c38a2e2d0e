"""Drives every call of the unmodified ModelSignature SDK (0.3.0, from PyPI) against a running hub.

Usage: python sdk_driver.py BASE_URL. Prints one JSON object of what it observed on the last line; any
failed expectation raises (exit 1) with the step name. test/server/sdk.test.ts runs it and checks both
this output and the hub's database.
"""
import json
import sys
import traceback
import uuid

import requests
import modelsignature
from modelsignature import (
    AuthenticationError, ConflictError, HeadquartersLocation, IncidentCategory, IncidentSeverity,
    ModelSignatureClient, NotFoundError, PermissionError, ServerError, ValidationError,
)

assert modelsignature.__version__ == "0.3.0", modelsignature.__version__
BASE = sys.argv[1]
out = {"steps": []}


def step(name):
    out["steps"].append(name)


def expect_raises(exc, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except exc as e:
        return e
    raise AssertionError(f"expected {exc.__name__} from {fn.__name__}")


try:
    anon = ModelSignatureClient(base_url=BASE, max_retries=1)
    step("register_provider")
    reg = anon.register_provider("Acme AI", "ops@acme.example", "https://acme.example", github_url="https://github.com/acme")
    assert reg.provider_id.startswith("prov_") and reg.api_key.startswith("hm_live_"), reg
    assert reg.github_url == "https://github.com/acme"
    out["provider_id"] = reg.provider_id
    out["first_key"] = reg.api_key
    c = ModelSignatureClient(api_key=reg.api_key, base_url=BASE, max_retries=1)

    step("update_provider")
    up = c.update_provider(reg.provider_id, company_name="Acme AI Labs", linkedin_url="https://linkedin.com/company/acme")
    assert up.provider_id == reg.provider_id and up.linkedin_url == "https://linkedin.com/company/acme", up
    step("update_provider_profile")
    prof = c.update_provider_profile(reg.provider_id, description="We build assistants", founded_year=2020,
                                     headquarters_location=HeadquartersLocation(city="Lyon", country="FR"), support_email="help@acme.example")
    assert prof["profile"]["headquarters_location"]["city"] == "Lyon", prof
    step("update_provider_compliance")
    comp = c.update_provider_compliance(reg.provider_id, compliance_certifications=["SOC2"], ai_specific_certifications="ISO 42001")
    assert comp["compliance"]["compliance_certifications"] == ["SOC2"], comp
    step("update_provider other provider -> PermissionError")
    other = anon.register_provider("Other Co", "x@other.example", "https://other.example")
    expect_raises(PermissionError, c.update_provider, other.provider_id, company_name="hijack")

    step("register_model")
    m1 = c.register_model(display_name="Acme Assistant", api_model_identifier="acme-assistant", endpoint="https://api.acme.example/v1/chat",
                          version="1.0.0", description="Support bot", model_type="language", capabilities=["text-generation"], context_window=8192)
    assert m1.model_id.startswith("model_") and m1.version_number == 1, m1
    assert m1.raw_response["feedback_url"] == f"{BASE}/models/{m1.model_id}", m1.raw_response
    out["model_v1"] = m1.model_id
    step("register_model again -> ConflictError")
    ce = expect_raises(ConflictError, c.register_model, display_name="Acme Assistant", api_model_identifier="acme-assistant",
                       endpoint="https://api.acme.example/v1/chat", version="1.1.0", description="x", model_type="language")
    assert ce.status_code == 409 and ce.existing_resource["model_id"] == m1.model_id, ce.existing_resource
    step("register_model force_new_version")
    m2 = c.register_model(display_name="Acme Assistant", api_model_identifier="acme-assistant", endpoint="https://api.acme.example/v1/chat",
                          version="2.0.0", description="Support bot v2", model_type="language", force_new_version=True)
    assert m2.version_number == 2 and m2.model_id != m1.model_id, m2
    out["model_v2"] = m2.model_id
    step("register_model force_new_version same version -> ConflictError")
    expect_raises(ConflictError, c.register_model, display_name="A", api_model_identifier="acme-assistant", endpoint="https://a.example",
                  version="2.0.0", description="x", model_type="language", force_new_version=True)
    step("register_model bad endpoint -> ValidationError")
    ve = expect_raises(ValidationError, c.register_model, display_name="A", api_model_identifier="bad", endpoint="javascript:alert(1)",
                       version="1", description="x", model_type="language")
    assert ve.status_code == 422 and isinstance(ve.errors.get("detail"), list), ve.errors

    step("get_model_history")
    hist = c.get_model_history(m1.model_id)
    assert [v["version"] for v in hist["versions"]] == ["1.0.0", "2.0.0"], hist
    step("get_latest_model_version")
    latest = c.get_latest_model_version(m1.model_id)
    assert latest["model_id"] == m2.model_id, latest
    step("get_model_health")
    health = c.get_model_health(m2.model_id)
    assert health["model_id"] == m2.model_id
    step("sync_huggingface_model -> ServerError (offline hub)")
    se = expect_raises(ServerError, c.sync_huggingface_model, m2.model_id)
    assert se.status_code == 501 and "not available" in str(se), se

    step("create_verification")
    v = c.create_verification(m2.model_id, "session-123", metadata={"channel": "chat"})
    assert v.expires_in == 900 and v.token and v.verification_url.startswith(f"{BASE}/models/{m2.model_id}"), v
    assert v.is_expired is False  # naive created_at compared with utcnow(): must not raise
    assert c.create_verification(m2.model_id, "session-123") is v  # the SDK's cache
    step("create_verification invalid id -> ValidationError (client side)")
    expect_raises(ValidationError, c.create_verification, "bad id!", "fp")
    step("create_verification other provider's model -> PermissionError")
    oc = ModelSignatureClient(api_key=other.api_key, base_url=BASE, max_retries=1)
    expect_raises(PermissionError, oc.create_verification, m2.model_id, "fp")
    step("verify_token")
    vt = c.verify_token(v.token)
    assert vt["valid"] is True and vt["model_id"] == m2.model_id, vt
    step("verify_token unknown -> NotFoundError")
    expect_raises(NotFoundError, c.verify_token, "vt_" + "A" * 43)

    step("report_incident (verified, anonymous)")
    inc = anon.report_incident(model_id=m2.model_id, category=IncidentCategory.TECHNICAL_ERROR.value, title="Wrong sums",
                               description="2+2 answered 5", verification_token=v.token, severity=IncidentSeverity.HIGH.value,
                               reporter_email="user@example.org")
    assert inc["incident_id"] == inc["id"] and inc["id"].startswith("inc_") and inc["verified"] is True, inc
    assert inc["reporter_email"] is None  # not the owner
    out["incident_verified"] = inc["id"]
    step("report_harmful_content / technical_error / impersonation")
    h = anon.report_harmful_content(m2.model_id, "It wrote something awful")
    t = anon.report_technical_error(m1.model_id, "Timeout after 30 s")
    i = anon.report_impersonation(m2.model_id, "Claims to be another vendor's model")
    assert (h["category"], h["severity"], h["verified"]) == ("harmful_content", "high", False), h
    assert t["category"] == "technical_error" and i["category"] == "impersonation"
    step("report_incident README categories")
    for cat in ("hallucination", "bias", "privacy_violation", "other"):
        r = anon.report_incident(model_id=m2.model_id, category=cat, title=f"{cat} case", description="details", severity="low")
        assert r["category"] == cat
    step("report_incident bad category -> ValidationError")
    ve = expect_raises(ValidationError, anon.report_incident, model_id=m2.model_id, category="spam", title="t", description="d")
    assert ve.errors["detail"][0]["loc"] == ["body", "category"], ve.errors
    step("report_incident bad severity -> ValidationError")
    expect_raises(ValidationError, anon.report_incident, model_id=m2.model_id, category="other", title="t", description="d", severity="apocalyptic")
    step("report_incident unknown model -> NotFoundError")
    expect_raises(NotFoundError, anon.report_incident, model_id="model_doesnotexist", category="other", title="t", description="d")
    step("report_incident bad token -> ValidationError")
    expect_raises(ValidationError, anon.report_incident, model_id=m2.model_id, category="other", title="t", description="d", verification_token="vt_" + "B" * 43)

    step("get_my_incidents")
    mine = c.get_my_incidents()
    assert len(mine) == 8, len(mine)
    assert all(x["status"] == "reported" for x in mine)
    verified = [x for x in mine if x["id"] == inc["id"]][0]
    assert verified["reporter_email"] == "user@example.org" and verified["verified"] is True, verified
    step("get_my_incidents(status=reported)")
    assert len(c.get_my_incidents(status="reported")) == 8
    assert c.get_my_incidents(status="resolved") == []
    step("get_my_incidents bad status -> ValidationError")
    expect_raises(ValidationError, c.get_my_incidents, status="bogus")
    step("get_my_incidents other provider sees none")
    assert oc.get_my_incidents() == []
    step("get_my_incidents without key -> AuthenticationError")
    expect_raises(AuthenticationError, anon.get_my_incidents)

    step("get_model_community_stats")
    stats = c.get_model_community_stats(m2.model_id)
    assert stats["total_verifications"] == 1 and stats["unresolved_incidents"] == 7 and "provider_trust_level" in stats, stats
    out["stats"] = stats

    step("list_api_keys")
    keys = c.list_api_keys()
    assert len(keys) == 1 and keys[0].is_active and reg.api_key.startswith(keys[0].key_prefix), keys
    step("create_api_key")
    nk = c.create_api_key("Production Key")
    assert nk.api_key.startswith("hm_live_") and nk.api_key.startswith(nk.key_prefix) and len(nk.api_key) >= 8 + 43, nk
    c2 = ModelSignatureClient(api_key=nk.api_key, base_url=BASE, max_retries=1)
    assert len(c2.get_my_incidents()) == 8
    keys = c.list_api_keys()
    assert len(keys) == 2 and all(not hasattr(k, "api_key") for k in keys)
    step("revoke_api_key")
    rv = c.revoke_api_key(nk.id)
    assert rv["is_active"] is False, rv
    step("revoked key -> AuthenticationError")
    ae = expect_raises(AuthenticationError, c2.get_my_incidents)
    assert "revoked" in str(ae), str(ae)
    step("invalid key -> AuthenticationError")
    expect_raises(AuthenticationError, ModelSignatureClient(api_key="hm_live_" + "x" * 43, base_url=BASE, max_retries=1).get_my_incidents)
    step("revoke unknown key -> NotFoundError")
    expect_raises(NotFoundError, c.revoke_api_key, "key_000000000000000000000000")
    assert [k.is_active for k in c.list_api_keys()] == [True, False]

    step("archive_model")
    ar = c.archive_model(m1.model_id, reason="superseded")
    assert ar["is_archived"] is True and ar["versions_affected"] == 2, ar
    step("list_public_models excludes archived")
    assert [m for m in anon.list_public_models() if m["model_id"] in (m1.model_id, m2.model_id)] == []
    step("unarchive_model")
    assert c.unarchive_model(m1.model_id)["is_archived"] is False
    step("archive other provider's model -> PermissionError")
    expect_raises(PermissionError, oc.archive_model, m1.model_id)
    step("update_model_visibility")
    assert c.update_model_visibility(m1.model_id, False)["is_public"] is False
    expect_raises(NotFoundError, anon.get_public_model, m1.model_id)
    step("get_public_model")
    pm = anon.get_public_model(m2.model_id)
    assert pm["provider_name"] == "Acme AI Labs" and "email" not in pm, pm
    step("list_public_models")
    pub = anon.list_public_models(provider_id=reg.provider_id)
    assert [m["model_id"] for m in pub] == [m2.model_id], pub
    step("list_public_providers")
    provs = anon.list_public_providers()
    assert {p["provider_id"] for p in provs} >= {reg.provider_id, other.provider_id} and all("email" not in p for p in provs)
    step("get_public_provider")
    gp = anon.get_public_provider(reg.provider_id)
    assert gp["company_name"] == "Acme AI Labs" and [m["model_id"] for m in gp["models"]] == [m2.model_id], gp
    expect_raises(NotFoundError, anon.get_public_provider, "prov_nope")
    step("search")
    s = anon.search("acme")
    assert reg.provider_id in [p["provider_id"] for p in s["providers"]] and m2.model_id in [m["model_id"] for m in s["models"]], s
    s = anon.search("%", include_providers=False)
    assert s["providers"] == [] and s["models"] == [], s  # a literal percent sign matches nothing here

    step("validate-ownership (as embed_signature_link calls it)")
    r = requests.post(f"{BASE}/api/v1/models/validate-ownership", params={"model_id": m2.model_id}, headers={"X-API-Key": reg.api_key}, timeout=10)
    assert r.status_code == 200 and r.json()["model_name"] == "Acme Assistant" and r.json()["provider_name"] == "Acme AI Labs", r.text
    r = requests.post(f"{BASE}/api/v1/models/validate-ownership", params={"model_id": m2.model_id}, headers={"X-API-Key": other.api_key}, timeout=10)
    assert r.status_code == 403, r.status_code
    step("X-Request-ID echoed")
    rid = str(uuid.uuid4())
    r = requests.get(f"{BASE}/api/v1/health", headers={"X-Request-ID": rid}, timeout=10)
    assert r.headers["X-Request-ID"] == rid and r.json()["status"] == "ok"

    out["ok"] = True
except Exception as e:  # noqa: BLE001 - report the step that failed
    out["ok"] = False
    out["error"] = f"{type(e).__name__}: {e}"
    out["trace"] = traceback.format_exc()
print(json.dumps(out))
sys.exit(0 if out["ok"] else 1)
