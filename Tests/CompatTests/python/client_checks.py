"""Drives a Flotilla API server with the official Kubernetes Python client, as a user would.

Usage: python3 client_checks.py KUBECONFIG
Exits non-zero on the first failed check; prints one line per check.
"""
import sys
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def check(name, condition):
    if not condition:
        print(f"FAIL {name}", flush=True)
        sys.exit(1)
    print(f"ok   {name}", flush=True)


def main(kubeconfig):
    config.load_kube_config(config_file=kubeconfig)
    custom = client.CustomObjectsApi()
    group, version, plural, ns = "policy.karmada.io", "v1alpha1", "propagationpolicies", "default"
    policy = {
        "apiVersion": f"{group}/{version}", "kind": "PropagationPolicy",
        "metadata": {"name": "py-policy", "labels": {"app": "py"}},
        "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "py-web"}],
                 "placement": {"replicaScheduling": {"replicaSchedulingType": "Duplicated"}}},
    }

    created = custom.create_namespaced_custom_object(group, version, ns, plural, policy)
    check("custom: create returns the stored object", created["metadata"]["uid"] and created["spec"]["priority"] == 0)
    got = custom.get_namespaced_custom_object(group, version, ns, plural, "py-policy")
    check("custom: get", got["metadata"]["name"] == "py-policy")
    listed = custom.list_namespaced_custom_object(group, version, ns, plural, label_selector="app=py", limit=10)
    check("custom: list with label selector", [i["metadata"]["name"] for i in listed["items"]] == ["py-policy"])
    patched = custom.patch_namespaced_custom_object(group, version, ns, plural, "py-policy", {"spec": {"priority": 4}})
    check("custom: merge patch", patched["spec"]["priority"] == 4)
    patched["spec"]["priority"] = 6
    replaced = custom.replace_namespaced_custom_object(group, version, ns, plural, "py-policy", patched)
    check("custom: replace with resourceVersion", replaced["spec"]["priority"] == 6)
    try:
        custom.replace_namespaced_custom_object(group, version, ns, plural, "py-policy", patched)
        check("custom: stale replace is refused", False)
    except ApiException as error:
        check("custom: stale replace is refused with 409", error.status == 409)
    try:
        custom.patch_namespaced_custom_object(group, version, ns, plural, "py-policy", [{"op": "add"}])
        check("custom: a list body on a merge patch is refused", False)
    except ApiException as error:
        check("custom: a list body on a merge patch gets a 4xx", 400 <= error.status < 500)

    # Watch from the current resourceVersion while another thread changes the object.
    events = []
    start_rv = replaced["metadata"]["resourceVersion"]

    def change_later():
        time.sleep(0.5)
        custom.patch_namespaced_custom_object(group, version, ns, plural, "py-policy", {"metadata": {"labels": {"seen": "yes"}}})

    threading.Thread(target=change_later).start()
    stream = watch.Watch()
    for event in stream.stream(custom.list_namespaced_custom_object, group, version, ns, plural,
                               resource_version=start_rv, allow_watch_bookmarks=True, timeout_seconds=5):
        if event["type"] == "MODIFIED":
            events.append(event["object"]["metadata"]["labels"].get("seen"))
            stream.stop()
    check("custom: watch sees the change", events == ["yes"])

    custom.delete_namespaced_custom_object(group, version, ns, plural, "py-policy")
    try:
        custom.get_namespaced_custom_object(group, version, ns, plural, "py-policy")
        check("custom: deleted object is gone", False)
    except ApiException as error:
        check("custom: deleted object is gone (404)", error.status == 404)

    apps = client.AppsV1Api()
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "py-web", "labels": {"app": "py-web"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "py-web"}},
                 "template": {"metadata": {"labels": {"app": "py-web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                       "env": [{"name": "A", "value": "1"}]}]}}},
    }
    made = apps.create_namespaced_deployment(ns, deployment)
    check("apps: create Deployment", made.metadata.name == "py-web" and made.spec.replicas == 2)
    strategic = apps.patch_namespaced_deployment("py-web", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "env": [{"name": "B", "value": "2"}]}]}}}})
    env = [e.name for e in strategic.spec.template.spec.containers[0].env]
    check("apps: strategic merge keeps env A and adds B", env == ["A", "B"])
    scaled = apps.patch_namespaced_deployment_scale("py-web", ns, {"spec": {"replicas": 5}})
    check("apps: scale subresource", scaled.spec.replicas == 5)
    current = apps.read_namespaced_deployment("py-web", ns)
    current.spec.replicas = 3
    replaced_deployment = apps.replace_namespaced_deployment("py-web", ns, current)
    check("apps: replace", replaced_deployment.spec.replicas == 3 and replaced_deployment.metadata.generation >= 3)
    names = [d.metadata.name for d in apps.list_namespaced_deployment(ns).items]
    check("apps: list", names == ["py-web"])
    apps.delete_namespaced_deployment("py-web", ns)
    check("apps: delete", apps.list_namespaced_deployment(ns).items == [])
    print("python client: all checks passed", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
