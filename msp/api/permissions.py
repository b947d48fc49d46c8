from rest_framework import permissions

# HTTP method -> the action a role needs permission for (see msp/roles.py).
HTTP_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class HasRolePermission(permissions.BasePermission):
    """The request's membership must hold `<view.permission_resource>.<action>`.

    A view names its resource; a business action may name its permission outright
    (`view.permission_required`). A view naming neither is refused: deny by default.
    """

    def has_permission(self, request, view):
        membership = getattr(request, "membership", None)
        if membership is None:
            return False
        permission = getattr(view, "permission_required", None)
        if permission is None:
            resource = getattr(view, "permission_resource", None)
            if resource is None:
                return False
            permission = f"{resource}.{HTTP_ACTIONS.get(request.method, 'change')}"
        return membership.has_perm(permission)
